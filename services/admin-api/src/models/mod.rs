//! Per resource: its row struct(s) (diesel `Queryable`/`Selectable` over
//! [`crate::schema`]), its [`ListSpec`](query::ListSpec) (filter and sort
//! whitelists as diesel expressions), its base query for a tenant and its
//! write queries.

pub mod analytics;
pub mod attribution;
pub mod campaigns;
pub mod customers;
pub mod journeys;
pub mod orders;
pub mod products;
