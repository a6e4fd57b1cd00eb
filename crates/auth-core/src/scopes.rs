//! The scope catalog of each product. Minting refuses a scope foreign to the key's product.

use crate::Product;

pub const ANALYTICS_READ: &str = "analytics:read";
pub const CUSTOMERS_READ: &str = "customers:read";
pub const CUSTOMERS_WRITE: &str = "customers:write";
pub const ORDERS_READ: &str = "orders:read";
pub const ATTRIBUTION_READ: &str = "attribution:read";
pub const CAMPAIGNS_READ: &str = "campaigns:read";
pub const CAMPAIGNS_WRITE: &str = "campaigns:write";
pub const JOURNEYS_READ: &str = "journeys:read";
pub const JOURNEYS_WRITE: &str = "journeys:write";
pub const PRODUCTS_READ: &str = "products:read";
pub const PRODUCTS_WRITE: &str = "products:write";
/// Partner keys are read-only; generation keys read with it too.
pub const READ: &str = "read";
/// Generation: creating jobs (spends credits).
pub const GENERATE: &str = "generate";

/// Exactly the scopes of the admin API catalog (seed 000).
pub const ADMIN: &[&str] = &[
    ANALYTICS_READ,
    CUSTOMERS_READ,
    CUSTOMERS_WRITE,
    ORDERS_READ,
    ATTRIBUTION_READ,
    CAMPAIGNS_READ,
    CAMPAIGNS_WRITE,
    JOURNEYS_READ,
    JOURNEYS_WRITE,
    PRODUCTS_READ,
    PRODUCTS_WRITE,
];
pub const PARTNER: &[&str] = &[READ];
pub const GENERATION: &[&str] = &[READ, GENERATE];

/// Every scope a key of `product` may hold.
pub fn catalog(product: Product) -> &'static [&'static str] {
    match product {
        Product::Admin => ADMIN,
        Product::Partner => PARTNER,
        Product::Generation => GENERATION,
    }
}

/// The first scope of `requested` that `product` does not know, if any.
pub fn foreign_scope(product: Product, requested: &[String]) -> Option<&str> {
    requested
        .iter()
        .map(String::as_str)
        .find(|s| !catalog(product).contains(s))
}

/// A scope as a type, so that a handler's signature states what it requires.
pub trait Scope {
    const NAME: &'static str;
}

macro_rules! scope_types {
    ($($ty:ident => $name:expr),* $(,)?) => {
        $(
            #[doc = concat!("Marker for the `", stringify!($ty), "` scope.")]
            #[derive(Debug, Clone, Copy)]
            pub struct $ty;
            impl Scope for $ty {
                const NAME: &'static str = $name;
            }
        )*
    };
}

scope_types! {
    AnalyticsRead => ANALYTICS_READ,
    CustomersRead => CUSTOMERS_READ,
    CustomersWrite => CUSTOMERS_WRITE,
    OrdersRead => ORDERS_READ,
    AttributionRead => ATTRIBUTION_READ,
    CampaignsRead => CAMPAIGNS_READ,
    CampaignsWrite => CAMPAIGNS_WRITE,
    JourneysRead => JOURNEYS_READ,
    JourneysWrite => JOURNEYS_WRITE,
    ProductsRead => PRODUCTS_READ,
    ProductsWrite => PRODUCTS_WRITE,
    Read => READ,
    Generate => GENERATE,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_scopes_are_named() {
        let ok = vec!["customers:read".to_owned()];
        assert_eq!(foreign_scope(Product::Admin, &ok), None);
        let bad = vec!["read".to_owned(), "generate".to_owned()];
        assert_eq!(foreign_scope(Product::Admin, &bad), Some("read"));
        assert_eq!(foreign_scope(Product::Generation, &bad), None);
        assert_eq!(foreign_scope(Product::Partner, &bad), Some("generate"));
    }
}
