//! [`Product`] and [`Principal`].

use serde::{Deserialize, Serialize};

/// The three public APIs; every tenant and key belongs to exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Product {
    /// Sumeru admin API: the tenant is a shop.
    Admin,
    /// Sumidata partner API: the tenant is a project.
    Partner,
    /// Sume generation API: the tenant is a workspace.
    Generation,
}

impl Product {
    pub const ALL: [Product; 3] = [Product::Admin, Product::Partner, Product::Generation];

    pub fn as_str(self) -> &'static str {
        match self {
            Product::Admin => "admin",
            Product::Partner => "partner",
            Product::Generation => "generation",
        }
    }

    /// The key prefix stem (`copt`, `sumi`, `sume`).
    pub fn key_stem(self) -> &'static str {
        match self {
            Product::Admin => "copt",
            Product::Partner => "sumi",
            Product::Generation => "sume",
        }
    }

    /// What a tenant of this product is called.
    pub fn tenant_kind(self) -> &'static str {
        match self {
            Product::Admin => "shop",
            Product::Partner => "project",
            Product::Generation => "workspace",
        }
    }
}

impl std::str::FromStr for Product {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Product::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("unknown product {s:?} (admin, partner, generation)"))
    }
}

impl std::fmt::Display for Product {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The authenticated caller, as auth resolved it from an API key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub tenant_id: uuid::Uuid,
    pub product: Product,
    pub scopes: Vec<String>,
    pub tier: String,
    /// `key_…`
    pub key_id: String,
    /// `usr_…` for generation keys.
    pub user_id: Option<String>,
    /// Public id of a partner project (`proj_…`).
    pub public_id: Option<String>,
    /// `live` or `test`.
    pub env: String,
}

impl Principal {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}
