//! `X-Sumeru-Stability`: declared per endpoint in [`ENDPOINTS`] (the catalog
//! of the seed, all `stable`), written on every response by [`header_for`].

/// An endpoint of the catalog: method, path pattern, required scope, stability.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint {
    pub method: &'static str,
    pub path: &'static str,
    /// None: any valid token.
    pub scope: Option<&'static str>,
    pub stability: Stability,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stability {
    Stable,
    Beta,
}

impl Stability {
    pub fn as_str(self) -> &'static str {
        match self {
            Stability::Stable => "stable",
            Stability::Beta => "beta",
        }
    }
}

use Stability::Stable;
use auth_core::scopes as s;

macro_rules! ep {
    ($m:literal, $p:literal, $scope:expr) => {
        Endpoint {
            method: $m,
            path: $p,
            scope: $scope,
            stability: Stable,
        }
    };
}

pub const ENDPOINTS: &[Endpoint] = &[
    ep!(
        "GET",
        "/api/v1/decision-intelligence/runs",
        Some(s::ANALYTICS_READ)
    ),
    ep!(
        "GET",
        "/api/v1/decision-intelligence/runs/{run_id}",
        Some(s::ANALYTICS_READ)
    ),
    ep!(
        "GET",
        "/api/v1/seo-intelligence/keywords",
        Some(s::ANALYTICS_READ)
    ),
    ep!(
        "GET",
        "/api/v1/seo-intelligence/keywords/{kw_id}",
        Some(s::ANALYTICS_READ)
    ),
    ep!("GET", "/api/v1/customers", Some(s::CUSTOMERS_READ)),
    ep!(
        "GET",
        "/api/v1/customers/{customer_id}",
        Some(s::CUSTOMERS_READ)
    ),
    ep!(
        "PATCH",
        "/api/v1/customers/{customer_id}",
        Some(s::CUSTOMERS_WRITE)
    ),
    ep!(
        "GET",
        "/api/v1/customers/{customer_id}/orders",
        Some(s::ORDERS_READ)
    ),
    ep!("GET", "/api/v1/orders", Some(s::ORDERS_READ)),
    ep!("GET", "/api/v1/orders/{order_id}", Some(s::ORDERS_READ)),
    ep!("GET", "/api/v1/attribution", Some(s::ATTRIBUTION_READ)),
    ep!("GET", "/api/v1/campaigns", Some(s::CAMPAIGNS_READ)),
    ep!("POST", "/api/v1/campaigns", Some(s::CAMPAIGNS_WRITE)),
    ep!("GET", "/api/v1/campaigns/{id}", Some(s::CAMPAIGNS_READ)),
    ep!(
        "POST",
        "/api/v1/campaigns/{id}/launch",
        Some(s::CAMPAIGNS_WRITE)
    ),
    ep!("GET", "/api/v1/journeys", Some(s::JOURNEYS_READ)),
    ep!("POST", "/api/v1/journeys", Some(s::JOURNEYS_WRITE)),
    ep!("GET", "/api/v1/journeys/{id}", Some(s::JOURNEYS_READ)),
    ep!(
        "GET",
        "/api/v1/journeys/{id}/enrollments",
        Some(s::JOURNEYS_READ)
    ),
    ep!("GET", "/api/v1/products", Some(s::PRODUCTS_READ)),
    ep!("POST", "/api/v1/products", Some(s::PRODUCTS_WRITE)),
    ep!("GET", "/api/v1/products/{id}", Some(s::PRODUCTS_READ)),
    ep!("PATCH", "/api/v1/products/{id}", Some(s::PRODUCTS_WRITE)),
    ep!("GET", "/api/v1/inventory", Some(s::PRODUCTS_READ)),
    ep!("PATCH", "/api/v1/inventory", Some(s::PRODUCTS_WRITE)),
    ep!("GET", "/api/v1/usage", None),
];

pub const HEADER: &str = "x-sumeru-stability";

/// The stability of the endpoint matched by `pattern` and `method`; responses
/// outside the catalog (404s, health, the OpenAPI document) are `stable` too:
/// the v1 surface as a whole is stable.
pub fn header_for(method: &str, pattern: Option<&str>) -> &'static str {
    pattern
        .and_then(|p| ENDPOINTS.iter().find(|e| e.path == p && e.method == method))
        .map(|e| e.stability)
        .unwrap_or(Stable)
        .as_str()
}
