"""The transport's mechanics against local servers (no platform needed)."""
import asyncio
import json

import pytest

from sumeru_es import (
    DEFAULT_BASE_URL,
    APIConnectionError,
    APITimeoutError,
    AsyncSumeruES,
    InternalServerError,
    RateLimitError,
    SumeruES,
)

from servers import LocalServer

CAMPAIGN = {"data": {"id": "cam_1", "type": "campaign", "attributes": {"name": "x", "status": "active"}, "relationships": {}}}


def err(code):
    return {"error": {"code": code, "message": code, "details": {}, "request_id": "req_unit0001"}}


def test_base_url_option_env_default(monkeypatch):
    monkeypatch.delenv("SUMERU_BASE_URL", raising=False)
    assert SumeruES(api_key="k").base_url == DEFAULT_BASE_URL == "https://api.sumeru.systems"
    monkeypatch.setenv("SUMERU_BASE_URL", "http://127.0.0.1:1/")
    assert SumeruES(api_key="k").base_url == "http://127.0.0.1:1"
    assert SumeruES(api_key="k", base_url="http://o").base_url == "http://o"


def test_retry_after_then_backoff_with_one_idempotency_key():
    def handler(n, method, path, headers, body):
        if n == 1:
            return 429, {"retry-after": "1"}, err("rate_limited")
        if n == 2:
            return 503, {}, err("upstream_unavailable")
        return 200, {"x-ratelimit-limit": "600", "x-ratelimit-remaining": "5", "x-ratelimit-reset": "1800000000", "x-request-id": "req_unit0003"}, CAMPAIGN

    with LocalServer(handler) as srv:
        s = SumeruES(api_key="copt_test_x", base_url=srv.url)
        c = s.campaigns.create({"name": "x", "audience_id": "aud_1"})
        assert c.status == "active" and c.id == "cam_1" and c.type == "campaign"
        assert len(srv.seen) == 3
        keys = {r["headers"]["idempotency-key"] for r in srv.seen}
        assert len(keys) == 1 and keys.pop().startswith("sdk_")
        assert srv.seen[1]["at"] - srv.seen[0]["at"] >= 0.95
        assert json.loads(srv.seen[0]["body"]) == {"data": {"type": "campaign", "attributes": {"name": "x", "audience_id": "aud_1"}}}
        assert srv.seen[0]["headers"]["authorization"] == "Bearer copt_test_x"
        assert s.rate_limit.limit == 600 and s.rate_limit.remaining == 5 and s.rate_limit.reset == 1800000000
        assert s.last_request_id == "req_unit0003"
        s.campaigns.launch("cam_1", idempotency_key="mine-1")
        assert srv.seen[3]["headers"]["idempotency-key"] == "mine-1"
        assert srv.seen[3]["path"] == "/api/v1/campaigns/cam_1/launch"


def test_retries_run_out_into_typed_errors():
    def handler(n, method, path, headers, body):
        if path.startswith("/api/v1/usage"):
            return 500, {}, err("internal")
        return 429, {"retry-after": "3600"}, err("rate_limited")

    with LocalServer(handler) as srv:
        s = SumeruES(api_key="k", base_url=srv.url, max_retries=2)
        with pytest.raises(InternalServerError) as e:
            s.usage.get()
        assert e.value.status == 500 and e.value.code == "internal" and e.value.request_id == "req_unit0001"
        assert len(srv.seen) == 3
        with pytest.raises(RateLimitError) as r:
            s.customers.get("cus_1")
        assert r.value.retry_after == 3600
        assert len(srv.seen) == 4, "a one-hour Retry-After is not waited for"


def test_timeout_and_connection_errors():
    with LocalServer(lambda *a: None) as srv:
        s = SumeruES(api_key="k", base_url=srv.url, timeout=0.2, max_retries=1)
        with pytest.raises(APITimeoutError):
            s.usage.get()
        assert len(srv.seen) == 2
    with pytest.raises(APIConnectionError):
        SumeruES(api_key="k", base_url="http://127.0.0.1:9", max_retries=0).usage.get()


def test_query_encoding_and_pagination():
    pages = [
        {"data": [{"id": "cus_1", "type": "customer", "attributes": {"email": "a"}}], "pagination": {"has_next": True, "next_cursor": "c2"}},
        {"data": [{"id": "cus_2", "type": "customer", "attributes": {"email": "b"}}], "pagination": {"has_next": False, "next_cursor": None}},
    ]

    with LocalServer(lambda n, *a: (200, {}, pages[(n - 1) % 2])) as srv:
        s = SumeruES(api_key="k", base_url=srv.url)
        got = [c.email for c in s.customers.list(filter={"lifecycle_stage": ["loyal", "at_risk"], "accepts_marketing": True}, sort=["-last_order_at", "email"], limit=1)]
        assert got == ["a", "b"]
        assert srv.seen[0]["path"] == "/api/v1/customers?filter%5Blifecycle_stage%5D=loyal%2Cat_risk&filter%5Baccepts_marketing%5D=true&sort=-last_order_at%2Cemail&limit=1"
        assert "cursor=c2" in srv.seen[1]["path"]

        async def walk():
            async with AsyncSumeruES(api_key="k", base_url=srv.url) as a:
                return [c.id async for c in a.customers.list(limit=1)]

        assert asyncio.run(walk()) == ["cus_1", "cus_2"]
