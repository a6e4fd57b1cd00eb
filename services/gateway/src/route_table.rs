//! The route table: Host + path → [`Route`] (upstream, product, dialect, auth
//! mode, rate-limit classes, body limit, timeout), built once from
//! [`RouteConfig`]s.
//!
//! Matching: the Host header (port and trailing dot removed, lowercased) must be
//! one of the route's hosts exactly; among that host's paths the longest match
//! wins, where a path ending in `/` matches its subtree and any other path only
//! itself.

use crate::config::{AuthMode, Config, RouteConfig};
use actix_web::http::Method;
use error_envelope::Dialect;
use http1_client::UpstreamUrl;
use std::{borrow::Cow, collections::HashMap, sync::Arc, time::Duration};

/// One resolved route.
#[derive(Debug)]
pub struct Route {
    /// Position in the table (metrics index).
    pub index: usize,
    pub name: String,
    /// Where requests go (`http://host:port[/base]`).
    pub upstream: UpstreamUrl,
    pub audience: String,
    pub product: auth_core::Product,
    pub dialect: Dialect,
    pub auth: AuthMode,
    pub read_class: Arc<str>,
    pub write_class: Arc<str>,
    pub body_limit: u64,
    pub timeout: Duration,
}

impl Route {
    /// The rate-limit route class of a request with `method`.
    pub fn class(&self, method: &Method) -> &Arc<str> {
        if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
            &self.read_class
        } else {
            &self.write_class
        }
    }

    pub fn rpc_product(&self) -> rpc::auth::Product {
        match self.product {
            auth_core::Product::Admin => rpc::auth::Product::Admin,
            auth_core::Product::Partner => rpc::auth::Product::Partner,
            auth_core::Product::Generation => rpc::auth::Product::Generation,
        }
    }
}

#[derive(Debug)]
struct PathEntry {
    path: String,
    subtree: bool,
    route: usize,
}

/// Per host, its paths sorted longest first.
#[derive(Debug)]
pub struct RouteTable {
    routes: Vec<Arc<Route>>,
    hosts: HashMap<String, Vec<PathEntry>>,
}

#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    #[error(
        "route {route}: unknown upstream {upstream:?} (a name from [upstreams] or an http:// URL)"
    )]
    Upstream { route: String, upstream: String },
    #[error("route {route}: {message}")]
    Invalid { route: String, message: String },
}

/// What a lookup found.
pub enum Lookup<'a> {
    Route(&'a Arc<Route>),
    /// The host is known but no path matched; the dialect of its first route.
    UnknownPath(Dialect),
    UnknownHost,
}

impl RouteTable {
    pub fn from_config(config: &Config) -> Result<Self, RouteError> {
        let mut routes = Vec::new();
        let mut hosts: HashMap<String, Vec<PathEntry>> = HashMap::new();
        for (index, rc) in config.routes.iter().enumerate() {
            let route = resolve(index, rc, config)?;
            for host in &rc.hosts {
                let entries = hosts.entry(normalize_host(host).into_owned()).or_default();
                for path in &rc.paths {
                    if !path.starts_with('/') {
                        return Err(RouteError::Invalid {
                            route: rc.name.clone(),
                            message: format!("path {path:?} must start with /"),
                        });
                    }
                    entries.push(PathEntry {
                        path: path.clone(),
                        subtree: path.ends_with('/'),
                        route: index,
                    });
                }
            }
            routes.push(Arc::new(route));
        }
        for entries in hosts.values_mut() {
            entries.sort_by_key(|e| std::cmp::Reverse(e.path.len()));
        }
        Ok(Self { routes, hosts })
    }

    pub fn routes(&self) -> &[Arc<Route>] {
        &self.routes
    }

    /// Finds the route of `host` (raw Host header) and `path`.
    pub fn lookup(&self, host: &str, path: &str) -> Lookup<'_> {
        let Some(entries) = self.hosts.get(normalize_host(host).as_ref()) else {
            return Lookup::UnknownHost;
        };
        let hit = entries.iter().find(|e| {
            if e.subtree {
                path.starts_with(e.path.as_str())
            } else {
                path == e.path
            }
        });
        match hit {
            Some(e) => Lookup::Route(&self.routes[e.route]),
            None => {
                let dialect = entries
                    .iter()
                    .map(|e| e.route)
                    .min()
                    .map(|i| self.routes[i].dialect)
                    .unwrap_or_default();
                Lookup::UnknownPath(dialect)
            }
        }
    }
}

fn resolve(index: usize, rc: &RouteConfig, config: &Config) -> Result<Route, RouteError> {
    let upstream = config
        .upstreams
        .resolve(&rc.upstream)
        .ok_or_else(|| RouteError::Upstream {
            route: rc.name.clone(),
            upstream: rc.upstream.clone(),
        })?;
    let product = rc.product.parse().map_err(|message| RouteError::Invalid {
        route: rc.name.clone(),
        message,
    })?;
    Ok(Route {
        index,
        name: rc.name.clone(),
        upstream: UpstreamUrl::parse(upstream).map_err(|message| RouteError::Invalid {
            route: rc.name.clone(),
            message,
        })?,
        audience: rc.audience.clone(),
        product,
        dialect: rc.dialect,
        auth: rc.auth,
        read_class: rc.read_class.as_str().into(),
        write_class: rc.write_class.as_str().into(),
        body_limit: rc.body_limit_bytes,
        timeout: Duration::from_millis(rc.timeout_ms),
    })
}

/// `Gen.Localhost:8080` → `gen.localhost`; `[::1]:8080` → `[::1]`.
pub fn normalize_host(raw: &str) -> Cow<'_, str> {
    // Fast path: already a bare lowercase name.
    if !raw
        .bytes()
        .any(|b| b.is_ascii_uppercase() || matches!(b, b':' | b' ' | b'['))
        && !raw.ends_with('.')
    {
        return Cow::Borrowed(raw);
    }
    let raw = raw.trim();
    let host = if raw.starts_with('[') {
        raw.find(']').map_or(raw, |i| &raw[..=i])
    } else {
        raw.rsplit_once(':').map_or(raw, |(h, _)| h)
    };
    Cow::Owned(host.trim_end_matches('.').to_ascii_lowercase())
}

/// The path the gateway routes on and forwards, normalised once (RFC 3986
/// §6.2.2): percent-encoded unreserved characters decoded (`%67` → `g`), other
/// percent-encodings kept with uppercase hex, duplicate slashes collapsed, and
/// `.`/`..` segments resolved (never above the root). Upstreams match the
/// decoded path, so routing on the raw one would let `/api/v1/images/%67enerations`
/// be charged as a cheaper route class than the generation it reaches.
///
/// Refused: an encoded slash or backslash (`%2F`, `%5C`, which upstreams may
/// decode into a separator after routing), an encoded NUL, a malformed `%`
/// escape, and a path that does not start with `/`.
pub fn normalize_path(raw: &str) -> Result<Cow<'_, str>, &'static str> {
    let bytes = raw.as_bytes();
    if bytes.first() != Some(&b'/') {
        return Err("the path must start with /");
    }
    // Fast path: nothing to decode, no empty or dot segment.
    let plain = !bytes.contains(&b'%')
        && !raw.contains("//")
        && !raw.split('/').any(|seg| seg == "." || seg == "..");
    if plain {
        return Ok(Cow::Borrowed(raw));
    }
    let hex = |b: u8| (b as char).to_digit(16);
    let mut decoded = String::with_capacity(raw.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b != b'%' {
            decoded.push(b as char);
            i += 1;
            continue;
        }
        let (Some(hi), Some(lo)) = (
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) else {
            return Err("the path has a malformed percent-encoding");
        };
        let c = (hi * 16 + lo) as u8;
        match c {
            b'/' | b'\\' => return Err("the path must not contain encoded slashes"),
            0 => return Err("the path must not contain an encoded NUL"),
            c if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~') => {
                decoded.push(c as char);
            }
            c => {
                decoded.push('%');
                decoded.push_str(&format!("{c:02X}"));
            }
        }
        i += 3;
    }
    // Segments, with empty ones (duplicate slashes) dropped and dots resolved.
    let mut segments: Vec<&str> = Vec::new();
    let trailing = decoded.ends_with('/') || decoded.ends_with("/.") || decoded.ends_with("/..");
    for seg in decoded.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            seg => segments.push(seg),
        }
    }
    let mut out = String::with_capacity(decoded.len());
    for seg in &segments {
        out.push('/');
        out.push_str(seg);
    }
    if trailing || segments.is_empty() {
        out.push('/');
    }
    Ok(Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> RouteTable {
        RouteTable::from_config(&Config::default()).unwrap()
    }

    fn name(t: &RouteTable, host: &str, path: &str) -> Option<String> {
        match t.lookup(host, path) {
            Lookup::Route(r) => Some(r.name.clone()),
            _ => None,
        }
    }

    #[test]
    fn hosts_and_paths_select_the_route() {
        let t = table();
        assert_eq!(
            name(&t, "api.sumeru.systems", "/api/v1/customers").as_deref(),
            Some("admin-api")
        );
        assert_eq!(
            name(&t, "admin.localhost:8080", "/api/v1/orders/1").as_deref(),
            Some("admin-api")
        );
        assert_eq!(
            name(&t, "API.SUMIDATA.IO", "/api/partner/events").as_deref(),
            Some("partner-api")
        );
        assert_eq!(
            name(&t, "partner.localhost", "/sdk/ingest").as_deref(),
            Some("partner-ingest")
        );
        assert_eq!(name(&t, "partner.localhost", "/sdk/ingest/x"), None);
        assert_eq!(
            name(&t, "www.sume.so", "/api/v1/openapi.json").as_deref(),
            Some("generation-openapi")
        );
        assert_eq!(
            name(&t, "gen.localhost", "/api/v1/images/generations").as_deref(),
            Some("generation-create")
        );
        assert_eq!(
            name(&t, "gen.localhost", "/api/v1/jobs").as_deref(),
            Some("generation-api")
        );
        assert_eq!(name(&t, "gen.localhost", "/api/partner/events"), None);
        assert!(matches!(
            t.lookup("evil.example", "/api/v1/"),
            Lookup::UnknownHost
        ));
        assert!(matches!(
            t.lookup("gen.localhost", "/nope"),
            Lookup::UnknownPath(Dialect::Generation)
        ));
    }

    #[test]
    fn classes_follow_the_method() {
        let t = table();
        let Lookup::Route(r) = t.lookup("gen.localhost", "/api/v1/images/generations") else {
            panic!()
        };
        assert_eq!(&**r.class(&Method::POST), "generate");
        let Lookup::Route(r) = t.lookup("gen.localhost", "/api/v1/jobs") else {
            panic!()
        };
        assert_eq!(&**r.class(&Method::GET), "read");
        assert_eq!(&**r.class(&Method::DELETE), "write");
    }

    #[test]
    fn paths_are_normalised_before_routing() {
        let n = |p| normalize_path(p).map(Cow::into_owned);
        // Already normal: borrowed as is.
        assert!(matches!(
            normalize_path("/api/v1/jobs"),
            Ok(Cow::Borrowed(_))
        ));
        assert!(matches!(
            normalize_path("/api/v1/files/a.b..c"),
            Ok(Cow::Borrowed(_))
        ));
        assert_eq!(
            n("/api/v1/images/%67enerations").unwrap(),
            "/api/v1/images/generations"
        );
        assert_eq!(
            n("/api/v1/images/%67%65nerations").unwrap(),
            "/api/v1/images/generations"
        );
        assert_eq!(
            n("/api//v1///images/generations").unwrap(),
            "/api/v1/images/generations"
        );
        assert_eq!(
            n("/api/v1/x/../images/./generations").unwrap(),
            "/api/v1/images/generations"
        );
        assert_eq!(
            n("/api/v1/x/%2E%2e/images/generations").unwrap(),
            "/api/v1/images/generations"
        );
        assert_eq!(n("/api/v1/../../../etc").unwrap(), "/etc");
        assert_eq!(n("/api/v1/customers/").unwrap(), "/api/v1/customers/");
        assert_eq!(n("/api/v1/customers/.").unwrap(), "/api/v1/customers/");
        assert_eq!(n("/..").unwrap(), "/");
        // Reserved characters stay encoded (uppercase hex); unreserved ones are decoded.
        assert_eq!(n("/a%3fb%20c%7e").unwrap(), "/a%3Fb%20c~");
        assert_eq!(n("/caf%C3%A9").unwrap(), "/caf%C3%A9");
        for bad in [
            "/api/v1/a%2fb",
            "/a%5Cb",
            "/a%00",
            "/a%zz",
            "/a%2",
            "api/v1",
        ] {
            assert!(normalize_path(bad).is_err(), "{bad}");
        }
        // The encoded route reaches the generation route class.
        let t = table();
        let path = n("/api/v1/images/%67enerations").unwrap();
        let Lookup::Route(r) = t.lookup("gen.localhost", &path) else {
            panic!()
        };
        assert_eq!(&**r.class(&Method::POST), "generate");
    }

    #[test]
    fn ports_and_ipv6_are_stripped() {
        assert_eq!(normalize_host("[::1]:8080"), "[::1]");
        assert_eq!(normalize_host("www.sume.so."), "www.sume.so");
    }
}
