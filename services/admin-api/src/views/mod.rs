//! Response bodies. Rows become [`ResourceObject`]s through [`Render`]; no
//! database struct is serialised directly.

use query::PaginationInfo;
use serde::Serialize;
use serde_json::{Value, json};

pub mod analytics;
pub mod attribution;
pub mod campaigns;
pub mod customers;
pub mod journeys;
pub mod orders;
pub mod products;

/// `{"id","type","attributes","relationships"}`.
#[derive(Debug, Serialize)]
pub struct ResourceObject<A> {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub attributes: A,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relationships: Option<Value>,
}

/// `{"data": …}`.
#[derive(Debug, Serialize)]
pub struct Single<T> {
    pub data: T,
}

/// `{"data": [...], "pagination": {...}, "included": [...]}`.
#[derive(Debug, Serialize)]
pub struct Page<T, I = ()> {
    pub data: Vec<T>,
    pub pagination: PaginationInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub included: Option<Vec<I>>,
}

/// A row that renders as a resource object.
pub trait Render {
    type Attributes: Serialize;
    fn render(self) -> ResourceObject<Self::Attributes>;
}

/// A to-one relationship: linkage and the related resource's URL.
pub fn to_one(kind: &str, id: &str, collection: &str) -> Value {
    json!({ "data": { "type": kind, "id": id }, "links": { "related": format!("/api/v1/{collection}/{id}") } })
}

/// A to-one relationship that may be absent.
pub fn to_one_opt(kind: &str, id: Option<&str>, collection: &str) -> Value {
    match id {
        Some(id) => to_one(kind, id, collection),
        None => json!({ "data": null }),
    }
}

/// A to-many relationship known only by its URL.
pub fn related(url: String) -> Value {
    json!({ "links": { "related": url } })
}
