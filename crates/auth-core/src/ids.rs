//! Typed identifiers of auth's resources, parsed at the edge (a path or body
//! value that is not well formed never reaches a query):
//!
//! - [`KeyId`]: `key_` + 32 lowercase hex characters (a UUIDv7, so ids sort by
//!   creation time).
//! - [`TenantId`]: a UUID (shops, projects and workspaces alike; a partner
//!   project's *public* id `proj_…` is a different thing).

use serde::{Deserialize, Serialize};

/// The id of an API key: `key_` + 32 lowercase hex characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KeyId(String);

impl KeyId {
    pub const PREFIX: &'static str = "key_";

    /// A new id (UUIDv7 inside).
    pub fn generate() -> Self {
        Self(format!("{}{}", Self::PREFIX, uuid::Uuid::now_v7().simple()))
    }

    /// `Some` when `raw` is `key_` + 32 lowercase hex characters.
    pub fn parse(raw: &str) -> Option<Self> {
        raw.strip_prefix(Self::PREFIX)
            .is_some_and(|rest| {
                rest.len() == 32
                    && rest
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            })
            .then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for KeyId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for KeyId {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw).ok_or_else(|| format!("{raw:?} is not a key id (key_ + 32 hex)"))
    }
}

impl From<KeyId> for String {
    fn from(id: KeyId) -> Self {
        id.0
    }
}

/// The id of a tenant (shop, project or workspace).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TenantId(uuid::Uuid);

impl TenantId {
    /// A new id (UUIDv7, so tenants sort by creation time).
    pub fn generate() -> Self {
        Self(uuid::Uuid::now_v7())
    }

    pub fn parse(raw: &str) -> Option<Self> {
        raw.parse().ok().map(Self)
    }

    pub fn as_uuid(&self) -> uuid::Uuid {
        self.0
    }
}

impl From<uuid::Uuid> for TenantId {
    fn from(id: uuid::Uuid) -> Self {
        Self(id)
    }
}

impl From<TenantId> for uuid::Uuid {
    fn from(id: TenantId) -> Self {
        id.0
    }
}

impl std::fmt::Display for TenantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_carry_their_prefix_and_are_checked() {
        let id = KeyId::generate();
        assert!(id.starts_with("key_") && id.len() == 36);
        assert_eq!(KeyId::parse(id.as_str()), Some(id.clone()));
        for bad in [
            "",
            "key_",
            "usr_0123456789abcdef0123456789abcdef",
            "key_0123456789ABCDEF0123456789ABCDEF",
            "key_123",
        ] {
            assert_eq!(KeyId::parse(bad), None, "{bad}");
        }
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<KeyId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<KeyId>("\"key_nope\"").is_err());
    }

    #[test]
    fn tenant_ids_are_uuids() {
        let t = TenantId::generate();
        assert_eq!(TenantId::parse(&t.to_string()), Some(t));
        assert_eq!(TenantId::parse("shop_1"), None);
    }
}
