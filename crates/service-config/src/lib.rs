//! Typed configuration for every service.
//!
//! A service's config struct derives `Deserialize` with `#[serde(default)]`
//! and implements `Default` with values that work on a developer machine.
//! [`load`] layers, lowest first: those defaults, the TOML file named by
//! `CONFIG_FILE` (if set), then environment variables `PREFIX__FIELD`
//! (`__` separates nested fields, e.g. `GATEWAY__UPSTREAMS__ADMIN_API=…`).

use figment::{
    Figment,
    providers::{Env, Format, Toml},
};
use serde::{Deserialize, de::DeserializeOwned};

/// Loads `T` for the service whose variables start with `prefix` (e.g. `"AUTH"`).
pub fn load<T: DeserializeOwned>(prefix: &str) -> Result<T, Box<figment::Error>> {
    figment(prefix).extract().map_err(Box::new)
}

/// The layered sources, for callers that need to merge more.
pub fn figment(prefix: &str) -> Figment {
    let mut f = Figment::new();
    if let Ok(path) = std::env::var("CONFIG_FILE") {
        f = f.merge(Toml::file(path));
    }
    f.merge(Env::prefixed(&format!("{prefix}__")).split("__"))
}

/// A secret string: deserialises like a string, never prints.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[cfg(test)]
#[allow(
    clippy::result_large_err,
    reason = "figment::Jail fixes the closure's error type"
)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(default)]
    struct Sample {
        listen: String,
        pool_size: usize,
        nested: Nested,
        token: Secret,
    }

    #[derive(Debug, Deserialize, PartialEq, Default)]
    #[serde(default)]
    struct Nested {
        timeout_ms: u64,
    }

    impl Default for Sample {
        fn default() -> Self {
            Self {
                listen: "127.0.0.1:1".into(),
                pool_size: 4,
                nested: Nested { timeout_ms: 50 },
                token: Secret::new("dev"),
            }
        }
    }

    #[test]
    fn env_overrides_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("SAMPLE__POOL_SIZE", "9");
            jail.set_env("SAMPLE__NESTED__TIMEOUT_MS", "75");
            let s: Sample = load("SAMPLE").map_err(|e| e.to_string())?;
            assert_eq!(s.listen, "127.0.0.1:1");
            assert_eq!(s.pool_size, 9);
            assert_eq!(s.nested.timeout_ms, 75);
            assert_eq!(format!("{:?}", s.token), "Secret(***)");
            Ok(())
        });
    }

    #[test]
    fn a_config_file_sits_between_defaults_and_env() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("svc.toml", "listen = \"0.0.0.0:9\"\npool_size = 2\n")?;
            jail.set_env("CONFIG_FILE", "svc.toml");
            jail.set_env("SAMPLE__POOL_SIZE", "3");
            let s: Sample = load("SAMPLE").map_err(|e| e.to_string())?;
            assert_eq!((s.listen.as_str(), s.pool_size), ("0.0.0.0:9", 3));
            Ok(())
        });
    }
}
