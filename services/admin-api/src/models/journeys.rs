//! `journeys` (automated multi-step flows started by a trigger) and their
//! `enrollments` (one customer's passage through a journey).

use crate::{
    listing::{Boxed, CREATED_AFTER, CREATED_BEFORE},
    schema::{enrollments, journeys},
};
use diesel::{ExpressionMethods, QueryDsl, Queryable, Selectable, SelectableHelper};
use query::{CollateC, Direction, Kind, ListSpec, NamedFilter, Op, field, sort};
use std::sync::LazyLock;
use time::OffsetDateTime;
use uuid::Uuid;

pub const TRIGGERS: &[&str] = &[
    "signup",
    "first_order",
    "abandoned_cart",
    "winback",
    "birthday",
];
pub const STATUSES: &[&str] = &["draft", "active", "paused", "archived"];
/// Statuses a journey may be created in.
pub const CREATE_STATUSES: &[&str] = &["draft", "active"];
pub const STEP_TYPES: &[&str] = &["email", "sms", "push", "wait", "condition"];
pub const ENROLLMENT_STATUSES: &[&str] = &["active", "completed", "exited"];

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = journeys, check_for_backend(diesel::pg::Pg))]
pub struct JourneyRow {
    pub id: String,
    pub name: String,
    pub trigger: String,
    pub status: String,
    pub steps: serde_json::Value,
    pub enrollments_count: i32,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = enrollments, check_for_backend(diesel::pg::Pg))]
pub struct EnrollmentRow {
    pub id: String,
    pub journey_id: String,
    pub customer_id: String,
    pub status: String,
    pub current_step: i32,
    pub enrolled_at: OffsetDateTime,
    pub completed_at: Option<OffsetDateTime>,
    pub exited_at: Option<OffsetDateTime>,
}

pub static SPEC: LazyLock<ListSpec<journeys::table, JourneyRow>> = LazyLock::new(|| ListSpec {
    resource: "journey",
    fields: vec![
        field!(
            "status",
            journeys::status,
            String,
            Kind::Enum(STATUSES),
            [Eq, In],
            "status"
        ),
        field!(
            "trigger",
            journeys::trigger,
            String,
            Kind::Enum(TRIGGERS),
            [Eq, In],
            "trigger"
        ),
        field!(
            "created_at",
            journeys::created_at,
            OffsetDateTime,
            Kind::Timestamp,
            [Ge, Lt],
            "creation"
        ),
    ],
    filters: vec![
        NamedFilter {
            name: "status",
            field: "status",
            op: Op::In,
            doc: "status(es)",
        },
        NamedFilter {
            name: "trigger",
            field: "trigger",
            op: Op::In,
            doc: "trigger(s)",
        },
        CREATED_AFTER,
        CREATED_BEFORE,
    ],
    sorts: vec![
        sort!(
            "created_at",
            journeys::created_at,
            OffsetDateTime,
            |r: &JourneyRow| r.created_at
        ),
        sort!(
            "name",
            CollateC(journeys::name),
            String,
            |r: &JourneyRow| r.name.clone()
        ),
        sort!(
            "enrollments_count",
            journeys::enrollments_count,
            i32,
            |r: &JourneyRow| r.enrollments_count
        ),
    ],
    tiebreak: sort!("id", journeys::id, String, |r: &JourneyRow| r.id.clone()),
    default_sort: &[("created_at", Direction::Desc)],
    includes: &[],
});

pub static ENROLLMENTS: LazyLock<ListSpec<enrollments::table, EnrollmentRow>> =
    LazyLock::new(|| ListSpec {
        resource: "enrollment",
        fields: vec![
            field!(
                "status",
                enrollments::status,
                String,
                Kind::Enum(ENROLLMENT_STATUSES),
                [Eq, In],
                "status"
            ),
            field!(
                "customer_id",
                enrollments::customer_id,
                String,
                Kind::PrefixedText("cus_"),
                [Eq],
                "customer"
            ),
            field!(
                "enrolled_at",
                enrollments::enrolled_at,
                OffsetDateTime,
                Kind::Timestamp,
                [Ge, Lt],
                "enrollment"
            ),
        ],
        filters: vec![
            NamedFilter {
                name: "status",
                field: "status",
                op: Op::In,
                doc: "status(es)",
            },
            NamedFilter {
                name: "customer_id",
                field: "customer_id",
                op: Op::Eq,
                doc: "enrolled customer",
            },
            NamedFilter {
                name: "enrolled_after",
                field: "enrolled_at",
                op: Op::Ge,
                doc: "enrolled at or after",
            },
            NamedFilter {
                name: "enrolled_before",
                field: "enrolled_at",
                op: Op::Lt,
                doc: "enrolled before",
            },
        ],
        sorts: vec![
            sort!(
                "enrolled_at",
                enrollments::enrolled_at,
                OffsetDateTime,
                |r: &EnrollmentRow| r.enrolled_at
            ),
            sort!(
                "current_step",
                enrollments::current_step,
                i32,
                |r: &EnrollmentRow| r.current_step
            ),
        ],
        tiebreak: sort!("id", enrollments::id, String, |r: &EnrollmentRow| r
            .id
            .clone()),
        default_sort: &[("enrolled_at", Direction::Desc)],
        includes: &[],
    });

crate::listing::tenant_query!(base, by_id, journeys, JourneyRow);

/// The enrollments of one journey.
pub fn enrollments_of(tenant: Uuid, journey_id: &str) -> Boxed<enrollments::table, EnrollmentRow> {
    enrollments::table
        .select(EnrollmentRow::as_select())
        .into_boxed()
        .filter(enrollments::tenant_id.eq(tenant))
        .filter(enrollments::journey_id.eq(journey_id.to_owned()))
}

crate::listing::exists_fn!(journeys);

crate::listing::finder!("journey", JourneyRow);
