//! The error envelope every service answers with.
//!
//! - [`ApiError`]: the one error type handlers return. It carries an HTTP
//!   status, a stable snake_case [`code`](ApiError::code), a message meant for
//!   the caller, JSON `details`, and (apart from the message) a log-only detail.
//! - [`ErrorCode`]: the registry — every code the platform answers with, bound
//!   to its HTTP status in one place; [`ErrorCode::registry`] lists them.
//! - `From` impls for diesel, deadpool (feature `diesel`), redis (`redis`) and
//!   tonic (`tonic`) errors, so handlers write `?` and infrastructure failures
//!   are mapped once.
//! - [`Dialect`]: the two body shapes of the platform (admin/partner and
//!   generation).
//! - [`RequestContext`]: middleware that accepts or generates the request id
//!   (`req_…`), echoes it as `X-Request-Id`, and renders every error (ours or
//!   actix's) as an envelope in the service's dialect with that same id.
//! - [`extractor_configs`]: JSON/query/path/form extractor configs that map
//!   actix's deserialisation errors into the envelope.

mod error;
mod infra;
mod media_type;
mod middleware;
mod registry;
mod request_id;

pub use error::{ApiError, Dialect};
pub use media_type::{JSON_MEDIA_TYPES, require_media_type};
pub use middleware::{RequestContext, extractor_configs, get_or_head, not_found_handler};
pub use registry::{ErrorCode, codes};
pub use request_id::RequestId;
