//! Generated gRPC code for the platform's internal contracts (`proto/platform/*.proto`).
//!
//! - [`auth`]: `Authenticate` for the gateway.
//! - [`ratelimit`]: `ShouldRateLimit` and `GetUsage`.
//! - The one mapping between `auth_core::Product` and the wire enum
//!   ([`auth::Product`]): `From` one way, `TryFrom<i32>` the other.

#![allow(clippy::all, clippy::pedantic, missing_docs, rust_2018_idioms)]

pub mod auth {
    tonic::include_proto!("platform.auth.v1");
}

pub mod ratelimit {
    tonic::include_proto!("platform.ratelimit.v1");
}

impl From<auth_core::Product> for auth::Product {
    fn from(p: auth_core::Product) -> Self {
        match p {
            auth_core::Product::Admin => Self::Admin,
            auth_core::Product::Partner => Self::Partner,
            auth_core::Product::Generation => Self::Generation,
        }
    }
}

/// The product named on the wire; `UNSPECIFIED` and unknown values are refused.
pub fn product_from_wire(raw: i32) -> Option<auth_core::Product> {
    match auth::Product::try_from(raw) {
        Ok(auth::Product::Admin) => Some(auth_core::Product::Admin),
        Ok(auth::Product::Partner) => Some(auth_core::Product::Partner),
        Ok(auth::Product::Generation) => Some(auth_core::Product::Generation),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn products_round_trip() {
        use auth_core::Product;
        for p in [Product::Admin, Product::Partner, Product::Generation] {
            assert_eq!(
                super::product_from_wire(super::auth::Product::from(p) as i32),
                Some(p)
            );
        }
        assert_eq!(super::product_from_wire(0), None);
        assert_eq!(super::product_from_wire(99), None);
    }
}
