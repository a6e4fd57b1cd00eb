//! `journeys` (automated multi-step flows started by a trigger) and their
//! `enrollments` (one customer's passage through a journey).

use crate::listing::{FilterSpec, Kind, ListSpec, Row, SortSpec};
use diesel::{QueryableByName, sql_types::*};
use time::OffsetDateTime;

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

pub static SPEC: ListSpec = ListSpec {
    resource: "journey",
    table: "journeys",
    columns: "id, name, trigger, status, steps, enrollments_count, created_at, updated_at",
    filters: &[
        FilterSpec {
            name: "status",
            kind: Kind::Enum(STATUSES),
            sql: "status = ?",
            doc: "status(es)",
        },
        FilterSpec {
            name: "trigger",
            kind: Kind::Enum(TRIGGERS),
            sql: "trigger = ?",
            doc: "trigger(s)",
        },
        super::CREATED_AFTER,
        super::CREATED_BEFORE,
    ],
    sorts: &[
        SortSpec {
            name: "created_at",
            expr: "created_at",
            cast: "timestamptz",
        },
        SortSpec {
            name: "name",
            expr: "name COLLATE \"C\"",
            cast: "text",
        },
        SortSpec {
            name: "enrollments_count",
            expr: "enrollments_count",
            cast: "integer",
        },
    ],
    default_sort: "-created_at",
    includes: &[],
};

pub static ENROLLMENTS: ListSpec = ListSpec {
    resource: "enrollment",
    table: "enrollments",
    columns: "id, journey_id, customer_id, status, current_step, enrolled_at, completed_at, exited_at",
    filters: &[
        FilterSpec {
            name: "status",
            kind: Kind::Enum(ENROLLMENT_STATUSES),
            sql: "status = ?",
            doc: "enrollment status(es)",
        },
        FilterSpec {
            name: "customer_id",
            kind: Kind::Id("cus_"),
            sql: "customer_id = ?",
            doc: "enrolled customer",
        },
        FilterSpec {
            name: "enrolled_after",
            kind: Kind::Timestamp,
            sql: "enrolled_at >= ?::timestamptz",
            doc: "enrolled at or after",
        },
        FilterSpec {
            name: "enrolled_before",
            kind: Kind::Timestamp,
            sql: "enrolled_at < ?::timestamptz",
            doc: "enrolled before",
        },
    ],
    sorts: &[
        SortSpec {
            name: "enrolled_at",
            expr: "enrolled_at",
            cast: "timestamptz",
        },
        SortSpec {
            name: "current_step",
            expr: "current_step",
            cast: "integer",
        },
    ],
    default_sort: "-enrolled_at",
    includes: &[],
};

#[derive(Debug, QueryableByName)]
pub struct JourneyRow {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub trigger: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Jsonb)]
    pub steps: serde_json::Value,
    #[diesel(sql_type = Integer)]
    pub enrollments_count: i32,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: OffsetDateTime,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: OffsetDateTime,
    #[diesel(sql_type = Array<Nullable<Text>>)]
    pub cursor_key: Vec<Option<String>>,
}

impl Row for JourneyRow {
    fn cursor_key(&self) -> &[Option<String>] {
        &self.cursor_key
    }
}

#[derive(Debug, QueryableByName)]
pub struct EnrollmentRow {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub journey_id: String,
    #[diesel(sql_type = Text)]
    pub customer_id: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Integer)]
    pub current_step: i32,
    #[diesel(sql_type = Timestamptz)]
    pub enrolled_at: OffsetDateTime,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub completed_at: Option<OffsetDateTime>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub exited_at: Option<OffsetDateTime>,
    #[diesel(sql_type = Array<Nullable<Text>>)]
    pub cursor_key: Vec<Option<String>>,
}

impl Row for EnrollmentRow {
    fn cursor_key(&self) -> &[Option<String>] {
        &self.cursor_key
    }
}
