//! Upstream base URLs: `http://host[:port][/base]`.

/// The parsed form of an `http://host[:port][/base]` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamUrl {
    /// `host:port`, what is connected to and sent as `Host`.
    pub authority: String,
    pub base_path: String,
}

impl UpstreamUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            format!(
                "upstream {url:?} must be an http:// URL (TLS to upstreams belongs to the mesh)"
            )
        })?;
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
        if authority.is_empty() || !authority.chars().all(valid) {
            return Err(format!("upstream {url:?} has no valid host"));
        }
        let authority = if authority.contains(':') && !authority.ends_with(']') {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        let port = authority.rsplit(':').next().unwrap_or("");
        if port.parse::<u16>().is_err() {
            return Err(format!("upstream {url:?} has no valid port"));
        }
        let base_path = path.trim_end_matches('/');
        if !base_path.bytes().all(|b| b.is_ascii_graphic()) || base_path.contains(['?', '#']) {
            return Err(format!("upstream {url:?} has an invalid base path"));
        }
        Ok(Self {
            authority,
            base_path: base_path.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_urls_are_parsed() {
        let u = UpstreamUrl::parse("http://127.0.0.1:8101").unwrap();
        assert_eq!(u.authority, "127.0.0.1:8101");
        assert_eq!(u.base_path, "");
        let u = UpstreamUrl::parse("http://admin-api/base/").unwrap();
        assert_eq!(u.authority, "admin-api:80");
        assert_eq!(u.base_path, "/base");
        assert!(UpstreamUrl::parse("https://admin-api").is_err());
        assert!(UpstreamUrl::parse("http://").is_err());
        assert!(UpstreamUrl::parse("http://user@host").is_err());
        assert!(UpstreamUrl::parse("http://host:99999").is_err());
        assert!(UpstreamUrl::parse("http://host/a b").is_err());
    }
}
