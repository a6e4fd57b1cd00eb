//! The internal listener (port 9080 by default, never exposed publicly), from
//! the service kit: `GET /healthz` (liveness, no I/O), `GET /readyz` (auth and
//! ratelimit answer a gRPC handshake within the connect timeout, and no
//! shutdown is under way: check `serving`), `GET /metrics` (the kit's process,
//! build and internal-listener request metrics, plus the gateway's own from
//! [`crate::metrics`] and the principal cache size).

use crate::{authn::AuthCache, metrics::Metrics};
use service_kit::health::Readiness;
use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};
use tonic::transport::Endpoint;

/// The kit's metrics registry with the gateway's own metrics in it.
pub fn metrics(gateway: &Arc<Metrics>, cache: &Arc<AuthCache>) -> service_kit::metrics::Metrics {
    let mut metrics = service_kit::metrics::Metrics::new("gateway");
    gateway.register(metrics.registry_mut());
    let cache = Arc::clone(cache);
    metrics.register_gauges_fn(
        "gateway_auth_cache_entries",
        "Cached principals",
        "cache",
        move || vec![("principals", cache.len() as u64)],
    );
    metrics
}

/// Readiness: auth and ratelimit reachable, not draining.
pub fn readiness(auth: Endpoint, ratelimit: Endpoint, draining: Arc<AtomicBool>) -> Readiness {
    Readiness::new()
        .require("serving", move || {
            let draining = draining.load(Ordering::SeqCst);
            async move { !draining }
        })
        .require("auth", move || {
            let auth = auth.clone();
            async move { auth.connect().await.is_ok() }
        })
        .require("ratelimit", move || {
            let ratelimit = ratelimit.clone();
            async move { ratelimit.connect().await.is_ok() }
        })
}
