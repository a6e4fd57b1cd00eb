//! Authentication primitives shared by the auth service, the gateway and the APIs.
//!
//! - [`key`]: the API key format (`copt_live_` + 32 base62 characters with an
//!   embedded CRC32 checksum), generation, parsing, SHA-256 hashing, display hints.
//! - [`Product`], [`scopes`]: the three products and the scope catalog of each.
//! - [`ids`]: typed ids with their prefixes ([`ids::KeyId`], [`ids::TenantId`]).
//! - [`Principal`]: who is calling (tenant, product, scopes, tier, key, user).
//! - [`jwt`]: internal EdDSA JWTs minted by auth for one upstream (`aud`),
//!   JWKS publication and verification.
//! - [`extract`]: actix extractors — [`extract::Authenticated`] and
//!   [`extract::Scoped`], which makes "requires scope X" part of a handler's type.
//! - [`revocation`]: the revocation event auth publishes and the one subscriber
//!   (feature `revocations`) that auth's replicas and the gateway run.

pub mod extract;
pub mod ids;
pub mod jwt;
pub mod key;
mod principal;
pub mod revocation;
pub mod scopes;

pub use principal::{Principal, Product};
