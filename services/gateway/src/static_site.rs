//! Static files the gateway serves itself: the API reference (`docs/site/developers`, built by
//! `make docs`) under `/developers/` of the API hosts, so
//! `http://admin.localhost:8080/developers/api/v1-admin/` opens in a browser.
//!
//! Configured by `static_sites` (empty by default; `make run` sets it). A site answers GET and
//! HEAD below its path prefix on its hosts, before the route table, without authentication or
//! rate limiting (public documentation). A path ending in `/` serves its `index.html`; a
//! directory without the slash is redirected to it. Segments that are empty, `.`/`..`, hidden
//! (`.x`), percent-encoded or contain a backslash are refused as not found, and the file's
//! canonical path must stay inside the site's directory (no symlink escapes).

use crate::config::StaticSiteConfig;
use crate::route_table::normalize_host;
use actix_web::{
    HttpRequest, HttpResponse,
    http::{Method, StatusCode, header},
    web,
};
use error_envelope::{ApiError, codes};
use std::path::PathBuf;

struct Site {
    hosts: Vec<String>,
    /// Ends with `/`.
    prefix: String,
    dir: PathBuf,
}

/// The configured static sites.
#[derive(Default)]
pub struct StaticSites(Vec<Site>);

enum Found {
    File(PathBuf),
    Redirect(String),
}

impl StaticSites {
    pub fn from_config(sites: &[StaticSiteConfig]) -> Self {
        Self(
            sites
                .iter()
                .map(|s| Site {
                    hosts: s
                        .hosts
                        .iter()
                        .map(|h| normalize_host(h).into_owned())
                        .collect(),
                    prefix: if s.path.ends_with('/') {
                        s.path.clone()
                    } else {
                        format!("{}/", s.path)
                    },
                    dir: PathBuf::from(&s.dir),
                })
                .collect(),
        )
    }

    /// The answer of a static site for this request, or `None` when no site covers it.
    pub async fn serve(
        &self,
        host: &str,
        req: &HttpRequest,
    ) -> Option<Result<HttpResponse, ApiError>> {
        if self.0.is_empty() {
            return None;
        }
        let host = normalize_host(host);
        let path = req.uri().path();
        let site = self.0.iter().find(|s| {
            s.hosts.iter().any(|h| *h == host)
                && (path.starts_with(&s.prefix) || path == &s.prefix[..s.prefix.len() - 1])
        })?;
        if req.method() != Method::GET && req.method() != Method::HEAD {
            return Some(Err(ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                codes::METHOD_NOT_ALLOWED,
                "documentation pages are read with GET",
            )
            .with_header(
                header::ALLOW,
                header::HeaderValue::from_static("GET, HEAD"),
            )));
        }
        if path.len() < site.prefix.len() {
            return Some(Ok(redirect(&site.prefix)));
        }
        let rel = &path[site.prefix.len()..];
        let segments: Vec<&str> = rel.split('/').collect();
        let last = segments.len() - 1;
        let bad = segments.iter().enumerate().any(|(i, s)| {
            (s.is_empty() && i != last) || s.starts_with('.') || s.contains(['%', '\\', '\0'])
        });
        if bad {
            return Some(Err(ApiError::not_found("page")));
        }
        let dir = site.dir.clone();
        let rel = rel.to_owned();
        let path = path.to_owned();
        let found = web::block(move || locate(&dir, &rel, &path)).await;
        Some(match found {
            Ok(Some(Found::Redirect(to))) => Ok(redirect(&to)),
            Ok(Some(Found::File(file))) => read(file).await,
            Ok(None) => Err(ApiError::not_found("page")),
            Err(e) => Err(ApiError::internal(e)),
        })
    }
}

/// The file for `rel` below `dir` (blocking file system calls).
fn locate(dir: &std::path::Path, rel: &str, path: &str) -> Option<Found> {
    let root = dir.canonicalize().ok()?;
    let mut candidate = root.join(rel);
    if rel.is_empty() || rel.ends_with('/') {
        candidate.push("index.html");
    } else if candidate.is_dir() {
        return Some(Found::Redirect(format!("{path}/")));
    }
    let file = candidate.canonicalize().ok()?;
    (file.starts_with(&root) && file.is_file()).then_some(Found::File(file))
}

async fn read(file: PathBuf) -> Result<HttpResponse, ApiError> {
    let content_type = content_type(&file);
    let bytes = web::block(move || std::fs::read(file))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(bytes))
}

fn redirect(to: &str) -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, to.to_owned()))
        .finish()
}

fn content_type(file: &std::path::Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
