//! Public identifiers: `key_…`, `usr_…` (UUIDv7, so they sort by creation time)
//! and `proj_…` (random, 24 base62 characters — a partner project's public id is
//! embedded in web pages and must not reveal anything).

use rand::Rng;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A new key id (see `auth_core::ids::KeyId`).
pub fn key_id() -> String {
    auth_core::ids::KeyId::generate().into()
}

pub fn user_id() -> String {
    format!("usr_{}", uuid::Uuid::now_v7().simple())
}

pub fn project_public_id() -> String {
    let mut rng = rand::rng();
    let body: String = (0..24)
        .map(|_| BASE62[rng.random_range(0..62)] as char)
        .collect();
    format!("proj_{body}")
}

/// A well-formed `prefix` + 32 lowercase hex id (path parameters are checked before any query).
pub fn is_id(raw: &str, prefix: &str) -> bool {
    raw.strip_prefix(prefix)
        .is_some_and(|rest| rest.len() == 32 && rest.bytes().all(|b| b.is_ascii_hexdigit()))
}
