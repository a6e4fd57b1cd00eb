//! Typed configuration with one vocabulary.
//!
//! A service's config struct derives `Deserialize` with
//! `#[serde(default, deny_unknown_fields)]`, implements `Default` with values
//! that work on a developer machine, and [`ServiceConfig`]. [`load_checked`]
//! layers, lowest first: those defaults, the TOML file named by `CONFIG_FILE`
//! (if set), then environment variables `PREFIX__FIELD` (`__` separates nested
//! fields: `AUTH__DATABASE__POOL_SIZE=8`).
//!
//! The common parts have one spelling in every service: `environment`,
//! `listen`, `shutdown_timeout_seconds`, `database.url`, `database.pool_size`,
//! `database.run_migrations`, `redis.url`, `otel.endpoint`. Durations end in
//! `_seconds` or `_ms`.
//!
//! Start-up fails, naming the key, when
//! - a key (in the file or an environment variable with the service's prefix)
//!   maps to no field: a typo must not fall back to localhost;
//! - `environment = production` and a secret still holds its compiled-in
//!   development value (or is empty).

use figment::{
    Figment,
    providers::{Env, Format, Toml},
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

/// What every service's configuration exposes to the kit.
pub trait ServiceConfig: DeserializeOwned + Default {
    /// Prefix of the environment variables (`"AUTH"` → `AUTH__…`).
    const PREFIX: &'static str;
    /// Service name in logs, traces and `build_info` (`"auth"`).
    const SERVICE: &'static str;

    fn environment(&self) -> Environment;

    fn otel(&self) -> &OtelConfig;

    /// Every secret with its key (`"operator_token"`), so that production can
    /// refuse the compiled-in development values.
    fn secrets(&self) -> Vec<(&'static str, &Secret)> {
        Vec::new()
    }
}

/// Where the service runs. Production refuses development secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    #[default]
    Development,
    Test,
    Production,
}

/// Loads `T` from defaults, `CONFIG_FILE` and `T::PREFIX__*`, then refuses
/// development secrets in production. Errors name the offending key.
pub fn load_checked<T: ServiceConfig>() -> anyhow::Result<T> {
    let config: T = load(T::PREFIX)?;
    refuse_development_secrets(&config)?;
    Ok(config)
}

/// Loads `T` for the service whose variables start with `prefix`; unknown keys
/// are an error naming the key and where it came from.
pub fn load<T: DeserializeOwned>(prefix: &str) -> anyhow::Result<T> {
    figment(prefix)
        .extract()
        .map_err(|e| anyhow::anyhow!(describe(prefix, e)))
}

/// The layered sources, for callers that need to merge more.
pub fn figment(prefix: &str) -> Figment {
    let mut f = Figment::new();
    if let Ok(path) = std::env::var("CONFIG_FILE") {
        f = f.merge(Toml::file(path));
    }
    f.merge(Env::prefixed(&format!("{prefix}__")).split("__"))
}

/// The environment variable that sets `key` (`database.pool_size` → `AUTH__DATABASE__POOL_SIZE`).
pub fn env_var_of(prefix: &str, key: &str) -> String {
    format!("{prefix}__{}", key.replace('.', "__").to_ascii_uppercase())
}

fn describe(prefix: &str, errors: figment::Error) -> String {
    let mut lines = Vec::new();
    for e in errors {
        let path = e.path.clone();
        let message = match &e.kind {
            figment::error::Kind::UnknownField(_, expected) => {
                let key = path.join(".");
                format!(
                    "unknown configuration key `{key}` ({}from {}); expected one of: {}",
                    e.metadata
                        .as_ref()
                        .map(|m| format!("{}, ", m.name))
                        .unwrap_or_default(),
                    env_var_of(prefix, &key),
                    expected.join(", ")
                )
            }
            _ => {
                let key = path.join(".");
                if key.is_empty() {
                    format!("configuration: {e}")
                } else {
                    format!(
                        "configuration key `{key}` ({}): {}",
                        env_var_of(prefix, &key),
                        e.kind
                    )
                }
            }
        };
        lines.push(message);
    }
    lines.join("\n")
}

fn refuse_development_secrets<T: ServiceConfig>(config: &T) -> anyhow::Result<()> {
    if config.environment() != Environment::Production {
        return Ok(());
    }
    let defaults = T::default();
    let compiled = defaults.secrets();
    let mut refused = Vec::new();
    for (key, secret) in config.secrets() {
        let is_default = compiled
            .iter()
            .any(|(k, d)| *k == key && d.expose() == secret.expose());
        if secret.expose().is_empty() || is_default {
            refused.push(format!(
                "configuration key `{key}` ({}) holds the compiled-in development secret (or none); set a real one when environment = production",
                env_var_of(T::PREFIX, key)
            ));
        }
    }
    if refused.is_empty() {
        Ok(())
    } else {
        Err(anyhow::anyhow!(refused.join("\n")))
    }
}

/// A secret string: deserialises like a string, never prints (Debug and
/// Serialize show `***`).
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

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("***")
    }
}

/// A URL that may carry credentials (`postgres://user:password@host/db`,
/// `redis://:password@host`). Debug, Display and Serialize show it with the
/// password and the query string masked, so logs name the host without the secret.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct SecretUrl(String);

impl SecretUrl {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// The URL with its password and query string replaced by `***`.
    pub fn redacted(&self) -> String {
        redact_url(&self.0)
    }
}

/// `scheme://user:secret@host/db?password=x` → `scheme://user:***@host/db?***`.
/// Comma-separated lists (Redis Cluster seeds) are redacted item by item.
pub fn redact_url(url: &str) -> String {
    url.split(',')
        .map(|one| {
            let mut out = one.to_owned();
            if let Some(q) = out.find('?') {
                out.truncate(q);
                out.push_str("?***");
            }
            if let (Some(scheme_end), Some(at)) = (out.find("://"), out.rfind('@')) {
                let userinfo_start = scheme_end + 3;
                if at > userinfo_start {
                    let userinfo = &out[userinfo_start..at];
                    let user = userinfo.split(':').next().unwrap_or("");
                    let masked = if userinfo.contains(':') {
                        format!("{user}:***")
                    } else {
                        user.to_owned()
                    };
                    out = format!("{}{masked}{}", &out[..userinfo_start], &out[at..]);
                }
            }
            out
        })
        .collect::<Vec<_>>()
        .join(",")
}

impl std::fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}

impl std::fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl Serialize for SecretUrl {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.redacted())
    }
}

/// `database.*`: the service's own PostgreSQL database.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    pub url: SecretUrl,
    /// Connections in the pool (per replica).
    pub pool_size: usize,
    /// Create the database if missing and run migrations on `serve`
    /// (Kubernetes sets false and runs `migrate` in a Job).
    pub run_migrations: bool,
    /// PostgreSQL `statement_timeout` of every pooled connection (0 = none):
    /// a list query beyond it is cancelled and answers 503 `query_timeout`.
    pub statement_timeout_seconds: f64,
}

impl DatabaseConfig {
    /// Local defaults for the database `name`.
    pub fn local(name: &str) -> Self {
        Self {
            url: SecretUrl::new(format!("postgres://postgres@127.0.0.1:5432/{name}")),
            pool_size: 16,
            run_migrations: true,
            statement_timeout_seconds: 5.0,
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self::local("postgres")
    }
}

/// `redis.*`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisConfig {
    /// `redis://` or `rediss://`; with `cluster`, a comma-separated list of seed nodes.
    pub url: SecretUrl,
    /// Use the Redis Cluster client.
    pub cluster: bool,
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self {
            url: SecretUrl::new("redis://127.0.0.1:6379"),
            cluster: false,
        }
    }
}

/// `grpc.*`: how long a gRPC server keeps one HTTP/2 connection. Clients hold
/// their channels for the life of the process, so without a bound a new pod
/// (scale-out, rollout) gets no traffic from existing clients. After
/// `max_connection_age_seconds` (default 300) the server sends GOAWAY, lets the
/// calls in flight finish and closes; the client reconnects through the
/// Service, onto any pod.
///
/// `max_connection_age_grace_seconds` (default unset) is tonic 0.14's hard
/// bound: when set, tonic does *not* send GOAWAY at the age but drops the
/// connection at age + grace, failing calls in flight. Leave it unset unless
/// a stuck stream must be cut.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct GrpcServerConfig {
    pub max_connection_age_seconds: u64,
    pub max_connection_age_grace_seconds: Option<u64>,
}

impl Default for GrpcServerConfig {
    fn default() -> Self {
        Self {
            max_connection_age_seconds: 300,
            max_connection_age_grace_seconds: None,
        }
    }
}

impl GrpcServerConfig {
    pub fn max_connection_age(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.max_connection_age_seconds.max(1))
    }

    /// `None` unless configured (see the type's documentation).
    pub fn max_connection_age_grace(&self) -> Option<std::time::Duration> {
        self.max_connection_age_grace_seconds
            .map(std::time::Duration::from_secs)
    }
}

/// `otel.*`: trace export.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct OtelConfig {
    /// OTLP/gRPC endpoint (`http://collector:4317`). Unset: the standard
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`, else no export.
    pub endpoint: Option<String>,
}

impl OtelConfig {
    pub fn endpoint(&self) -> Option<String> {
        self.endpoint
            .clone()
            .filter(|e| !e.is_empty())
            .or_else(|| std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").ok())
            .filter(|e| !e.is_empty())
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
    #[serde(default, deny_unknown_fields)]
    struct Sample {
        environment: Environment,
        listen: String,
        nested: Nested,
        token: Secret,
        database: DatabaseConfig,
        otel: OtelConfig,
    }

    #[derive(Debug, Deserialize, PartialEq, Default)]
    #[serde(default, deny_unknown_fields)]
    struct Nested {
        timeout_ms: u64,
    }

    impl PartialEq for DatabaseConfig {
        fn eq(&self, other: &Self) -> bool {
            self.url == other.url && self.pool_size == other.pool_size
        }
    }
    impl PartialEq for OtelConfig {
        fn eq(&self, other: &Self) -> bool {
            self.endpoint == other.endpoint
        }
    }

    impl Default for Sample {
        fn default() -> Self {
            Self {
                environment: Environment::Development,
                listen: "127.0.0.1:1".into(),
                nested: Nested { timeout_ms: 50 },
                token: Secret::new("dev"),
                database: DatabaseConfig::local("sample"),
                otel: OtelConfig::default(),
            }
        }
    }

    impl ServiceConfig for Sample {
        const PREFIX: &'static str = "SAMPLE";
        const SERVICE: &'static str = "sample";
        fn environment(&self) -> Environment {
            self.environment
        }
        fn otel(&self) -> &OtelConfig {
            &self.otel
        }
        fn secrets(&self) -> Vec<(&'static str, &Secret)> {
            vec![("token", &self.token)]
        }
    }

    #[test]
    fn env_overrides_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("SAMPLE__DATABASE__POOL_SIZE", "9");
            jail.set_env("SAMPLE__NESTED__TIMEOUT_MS", "75");
            let s: Sample = load_checked().map_err(|e| e.to_string())?;
            assert_eq!(s.listen, "127.0.0.1:1");
            assert_eq!(s.database.pool_size, 9);
            assert_eq!(s.nested.timeout_ms, 75);
            assert_eq!(format!("{:?}", s.token), "Secret(***)");
            Ok(())
        });
    }

    #[test]
    fn a_config_file_sits_between_defaults_and_env() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "svc.toml",
                "listen = \"0.0.0.0:9\"\n[database]\npool_size = 2\n",
            )?;
            jail.set_env("CONFIG_FILE", "svc.toml");
            jail.set_env("SAMPLE__DATABASE__POOL_SIZE", "3");
            let s: Sample = load_checked().map_err(|e| e.to_string())?;
            assert_eq!((s.listen.as_str(), s.database.pool_size), ("0.0.0.0:9", 3));
            Ok(())
        });
    }

    #[test]
    fn an_unknown_environment_key_is_refused_naming_it() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("SAMPLE__DATABASE__URLL", "postgres://elsewhere/db");
            let err = load_checked::<Sample>()
                .map(|_| ())
                .unwrap_err()
                .to_string();
            assert!(err.contains("`database.urll`"), "{err}");
            assert!(err.contains("SAMPLE__DATABASE__URLL"), "{err}");
            jail.clear_env();
            jail.set_env("SAMPLE__LISTN", "0.0.0.0:1");
            let err = load_checked::<Sample>()
                .map(|_| ())
                .unwrap_err()
                .to_string();
            assert!(err.contains("`listn`"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn an_unknown_file_key_is_refused_naming_it() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("svc.toml", "[nested]\ntimeout_sec = 1\n")?;
            jail.set_env("CONFIG_FILE", "svc.toml");
            let err = load_checked::<Sample>()
                .map(|_| ())
                .unwrap_err()
                .to_string();
            assert!(err.contains("`nested.timeout_sec`"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn production_refuses_development_secrets() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("SAMPLE__ENVIRONMENT", "production");
            let err = load_checked::<Sample>()
                .map(|_| ())
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("`token`") && err.contains("SAMPLE__TOKEN"),
                "{err}"
            );
            jail.set_env("SAMPLE__TOKEN", "dev");
            assert!(
                load_checked::<Sample>().is_err(),
                "the dev value set explicitly"
            );
            jail.set_env("SAMPLE__TOKEN", "a-real-secret");
            assert!(load_checked::<Sample>().is_ok());
            jail.set_env("SAMPLE__ENVIRONMENT", "development");
            jail.set_env("SAMPLE__TOKEN", "dev");
            assert!(load_checked::<Sample>().is_ok());
            Ok(())
        });
    }

    #[test]
    fn urls_are_redacted() {
        let u = SecretUrl::new("postgres://app:hunter2@db:5432/admin?sslmode=require&password=x");
        assert_eq!(format!("{u:?}"), "\"postgres://app:***@db:5432/admin?***\"");
        assert_eq!(
            SecretUrl::new("redis://:pw@r1:6379,redis://r2:6379").to_string(),
            "redis://:***@r1:6379,redis://r2:6379"
        );
        assert_eq!(
            serde_json::to_string(&SecretUrl::new("redis://127.0.0.1:6379")).unwrap(),
            "\"redis://127.0.0.1:6379\""
        );
        assert_eq!(serde_json::to_string(&Secret::new("x")).unwrap(), "\"***\"");
    }
}
