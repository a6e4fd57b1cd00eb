#!/usr/bin/env python3
"""Writes one Grafana dashboard JSON per service next to this file.

The dashboards share their layout (resources, restarts, scrape status) and differ in the
service's own panels below, so they are generated rather than copied seven times. Run
`python3 k8s/components/monitoring/dashboards/generate.py` after a change; `make test-k8s`
fails when a committed dashboard differs from what this script writes.
"""
import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent

# The service kit's per-route metrics (every HTTP service).
HTTP = [
    ("Requests/s by route", 'sum by (route) (rate(http_server_requests_total{job="%(job)s"}[5m]))', "{{route}}"),
    ("5xx ratio", 'sum(rate(http_server_requests_total{job="%(job)s",status=~"5.."}[5m])) / sum(rate(http_server_requests_total{job="%(job)s"}[5m]))', "5xx"),
    ("p99 latency by route", 'histogram_quantile(0.99, sum by (route, le) (rate(http_server_request_duration_seconds_bucket{job="%(job)s"}[5m])))', "{{route}}"),
]
DB = [
    ("Database pool in use / max", 'max by (pod) (db_pool_connections{job="%(job)s",state="in_use"} / ignoring(state) db_pool_max_connections{job="%(job)s"})', "{{pod}}"),
]
SPECIFIC = {
    "gateway": [
        ("Requests/s by route", "sum by (route) (rate(gateway_requests_total[5m]))", "{{route}}"),
        ("5xx ratio by route", 'sum by (route) (rate(gateway_requests_total{status=~"5.."}[5m])) / sum by (route) (rate(gateway_requests_total[5m]))', "{{route}}"),
        ("p99 time to response head", "histogram_quantile(0.99, sum by (route, le) (rate(gateway_request_duration_seconds_bucket[5m])))", "{{route}}"),
        ("Upstream errors/s", "sum by (route, kind) (rate(gateway_upstream_errors_total[5m]))", "{{route}} {{kind}}"),
        ("Principal cache miss ratio", 'sum(rate(gateway_auth_cache_total{result="miss"}[5m])) / sum(rate(gateway_auth_cache_total[5m]))', "miss"),
        ("Rate-limit failures/s", "sum by (outcome) (rate(gateway_ratelimit_failures_total[5m]))", "{{outcome}}"),
        ("Refused by rate limit/s", "sum(rate(gateway_ratelimit_refused_total[5m]))", "refused"),
    ],
    "auth": HTTP + DB,
    "ratelimit": [
        ("Decisions/s by outcome", "sum by (outcome, source) (rate(ratelimit_decisions_total[5m]))", "{{outcome}} {{source}}"),
        ("Decisions without Redis/s", "sum by (reason) (rate(ratelimit_fallback_total[5m]))", "{{reason}}"),
        ("Redis p99", "histogram_quantile(0.99, sum by (le) (rate(ratelimit_redis_duration_seconds_bucket[5m])))", "p99"),
        ("Redis errors/s", "sum(rate(ratelimit_redis_errors_total[5m]))", "errors"),
        ("Redis up", "min(ratelimit_redis_up)", "up"),
    ],
    "admin-api": HTTP + DB,
    "partner-api": HTTP + DB,
    "generation-api": HTTP + DB,
    "generation-worker": [
        ("Queued jobs", 'sum(jobs_queue_depth{queue="generation"})', "queued"),
        ("Oldest queued job (s)", 'max(jobs_oldest_queued_age_seconds{queue="generation"})', "oldest"),
        ("Webhook deliveries/s by outcome", "sum by (outcome) (rate(generation_webhook_deliveries_total[5m]))", "{{outcome}}"),
    ] + DB,
}
COMMON = [
    ("CPU (cores) by pod", 'sum by (pod) (rate(container_cpu_usage_seconds_total{namespace="platform",container="%(job)s"}[5m]))', "{{pod}}"),
    ("CPU throttled ratio", 'sum by (pod) (rate(container_cpu_cfs_throttled_periods_total{namespace="platform",container="%(job)s"}[5m])) / sum by (pod) (rate(container_cpu_cfs_periods_total{namespace="platform",container="%(job)s"}[5m]))', "{{pod}}"),
    ("Memory working set by pod", 'sum by (pod) (container_memory_working_set_bytes{namespace="platform",container="%(job)s"})', "{{pod}}"),
    ("Restarts (1h)", 'sum by (pod) (increase(kube_pod_container_status_restarts_total{namespace="platform",container="%(job)s"}[1h]))', "{{pod}}"),
    ("Scraped targets up", 'sum(up{namespace="platform",job="%(job)s"})', "up"),
]


def dashboard(service: str) -> dict:
    # ServiceMonitor jobs are named after the Service (the gateway's metrics Service is gateway-internal).
    job = "gateway-internal" if service == "gateway" else service
    panels = []
    for i, (title, expr, legend) in enumerate(SPECIFIC[service] + COMMON):
        panels.append({
            "id": i + 1,
            "type": "timeseries",
            "title": title,
            "gridPos": {"h": 8, "w": 12, "x": (i % 2) * 12, "y": (i // 2) * 8},
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "targets": [{"refId": "A", "expr": expr % {"job": job}, "legendFormat": legend}],
        })
    return {
        "uid": f"platform-{service}",
        "title": f"platform / {service}",
        "tags": ["platform"],
        "schemaVersion": 39,
        "editable": False,
        "time": {"from": "now-3h", "to": "now"},
        "refresh": "30s",
        "templating": {"list": [{"name": "datasource", "type": "datasource", "query": "prometheus"}]},
        "panels": panels,
    }


def render() -> dict:
    return {f"{s}.json": json.dumps(dashboard(s), indent=2) + "\n" for s in SPECIFIC}


if __name__ == "__main__":
    for name, text in render().items():
        (HERE / name).write_text(text)
