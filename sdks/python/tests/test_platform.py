"""sumeru_es against a running platform (sdks/e2e/platform.sh exports the env)."""
import contextlib
import io
import os
import time

import httpx
import pytest

from sumeru_es import (
    APIError,
    AsyncSumeruES,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionError,
    RateLimitError,
    SumeruES,
    ValidationError,
)

from servers import flaky_proxy


def test_the_seed_snippet_verbatim(platform):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        # ---- seed 000 "SDK examples / Python", unchanged (base URL from SUMERU_BASE_URL) ----
        from sumeru_es import SumeruES
        sumeru = SumeruES(api_key=os.environ['ATLANTIS_API_KEY'])
        customer = sumeru.customers.get('cus_abc123')
        print(customer.lifecycle_stage)
        sumeru.campaigns.launch('cam_abc123',
                                idempotency_key='launch-spring-2026-05-10')
        # ---- end of the snippet ----
    assert out.getvalue() == "loyal\n"
    assert customer.id == "cus_abc123" and customer.type == "customer"
    assert customer.email == "jane@example.com" and customer["lifecycle_stage"] == "loyal"
    assert customer.relationships["orders"]["links"]["related"] == "/api/v1/customers/cus_abc123/orders"
    # Same key again: the first answer is replayed (no 409 invalid_state).
    assert sumeru.campaigns.launch("cam_abc123", idempotency_key="launch-spring-2026-05-10").status == "active"
    # The campaign and journey of the seed's examples are readable on their own.
    assert sumeru.campaigns.get("cam_abc123").status == "active"
    assert sumeru.journeys.get("jrn_abc").id == "jrn_abc"
    assert sumeru.rate_limit.limit > 0 and sumeru.rate_limit.reset > 1.7e9
    assert sumeru.last_request_id.startswith("req_")


def test_auto_pagination_with_typed_filters_and_sort(platform):
    sumeru = SumeruES(api_key=platform["ATLANTIS_API_KEY"])
    walked = list(sumeru.customers.list(filter={"lifecycle_stage": ["loyal", "active"]}, sort=["-total_spent"], limit=7))
    assert len(walked) > 14
    assert len({c.id for c in walked}) == len(walked)
    assert all(c.lifecycle_stage in ("loyal", "active") for c in walked)
    assert all(a.total_spent >= b.total_spent for a, b in zip(walked, walked[1:]))
    big = sumeru.customers.list(filter={"lifecycle_stage": "loyal,active"}, sort="-total_spent", limit=100).to_list()
    assert [c.id for c in walked[: len(big)]] == [c.id for c in big[: len(walked)]]
    att = sumeru.attribution.list(include="touchpoints", limit=3).first_page()
    assert att.data and att.included and all(t.type == "touchpoint" for t in att.included)
    assert sumeru.journeys.list_enrollments("jrn_abc", limit=2).first_page().data[0].type == "enrollment"
    assert sumeru.customers.list_orders("cus_abc123").first_page().data[0].type == "order"
    run = sumeru.decision_intelligence.runs.list(limit=1).first_page().data[0]
    assert sumeru.decision_intelligence.runs.get(run.id).id == run.id
    kw = sumeru.seo_intelligence.keywords.list(sort="position", limit=1).first_page().data[0]
    assert sumeru.seo_intelligence.keywords.get(kw.id).keyword == kw.keyword
    order = sumeru.orders.list(filter={"status": "paid"}, limit=1).first_page().data[0]
    assert sumeru.orders.get(order.id).status == "paid"
    product = sumeru.products.list(sort="price", limit=1).first_page().data[0]
    level = sumeru.inventory.list(filter={"product_id": product.id}).first_page().data[0]
    assert sumeru.inventory.bulk_update([{"id": level.id, "attributes": {"available": 7}}])[0].available == 7
    assert sumeru.usage.get().requests_today > 0


async def test_async_client(platform):
    async with AsyncSumeruES(api_key=platform["ATLANTIS_API_KEY"]) as sumeru:
        customer = await sumeru.customers.get("cus_abc123")
        assert customer.lifecycle_stage == "loyal"
        ids = [c.id async for c in sumeru.customers.list(filter={"lifecycle_stage": "loyal"}, limit=10)]
        assert len(ids) > 10 and len(set(ids)) == len(ids)
        with pytest.raises(NotFoundError):
            await sumeru.products.get("prd_000000000000000000000000")


def test_writes_and_an_idempotent_retry_after_a_lost_answer(platform):
    sumeru = SumeruES(api_key=platform["ATLANTIS_API_KEY"])
    audience = sumeru.campaigns.list(limit=1).first_page().data[0].audience_id
    assert sumeru.customers.update("cus_abc123", {"tags": ["vip", "py"]}).tags == ["vip", "py"]
    product = sumeru.products.create({"title": "Py mug", "sku": f"PY-{time.time_ns()}", "price": "9.90", "currency": "USD"})
    assert sumeru.products.update(product.id, {"price": 11}).price == 11
    assert sumeru.journeys.create({"name": "Py welcome", "trigger": "signup", "status": "draft", "steps": [{"type": "email"}]}).trigger == "signup"
    with flaky_proxy(platform["SUMERU_BASE_URL"], lambda n: n == 1) as proxy:
        via = SumeruES(api_key=platform["ATLANTIS_API_KEY"], base_url=proxy.url)
        name = f"Py retry {time.time_ns()}"
        created = via.campaigns.create({"name": name, "channel": "email", "audience_id": audience})
        assert len(proxy.seen) == 2
        keys = [r["headers"].get("idempotency-key") or r["headers"].get("Idempotency-Key") for r in proxy.seen]
        assert keys[0] and keys[0] == keys[1]
    named = [c for c in sumeru.campaigns.list(sort="-created_at", limit=100).to_list(100) if c.name == name]
    assert [c.id for c in named] == [created.id], "one campaign, not two"


def check(fn, cls, status, code):
    with pytest.raises(cls) as e:
        fn()
    err = e.value
    assert isinstance(err, APIError)
    assert err.status == status and err.code == code and err.message
    assert err.request_id.startswith("req_") and isinstance(err.details, dict)
    return err


def test_every_typed_error(platform):
    sumeru = SumeruES(api_key=platform["ATLANTIS_API_KEY"])
    check(lambda: sumeru.customers.get("cus_000000000000000000000000"), NotFoundError, 404, "not_found")
    v = check(lambda: sumeru.customers.list(limit=500).first_page(), ValidationError, 400, "validation_failed")
    assert v.details["parameter"] == "limit"
    check(lambda: SumeruES(api_key="copt_live_notarealkeynotarealkeynotareal").usage.get(), AuthenticationError, 401, "invalid_token")
    ro = SumeruES(api_key=platform["SUMERU_READONLY_API_KEY"])
    p = check(lambda: ro.customers.update("cus_abc123", {"note": "x"}), PermissionError, 403, "insufficient_scope")
    assert p.details["required_scope"] == "customers:write"
    sumeru.campaigns.launch("cam_abc123", idempotency_key="launch-spring-2026-05-10")
    c = check(lambda: sumeru.campaigns.launch("cam_abc123", idempotency_key=f"other-{time.time_ns()}"), ConflictError, 409, "invalid_state")
    assert c.details["status"] == "active"
    tiny = SumeruES(api_key=platform["SUMERU_TINY_API_KEY"], max_retries=0)

    def exhaust():
        for _ in range(5):
            tiny.usage.get()

    r = check(exhaust, RateLimitError, 429, "rate_limited")
    assert r.retry_after is not None and 0 <= r.retry_after <= 2


def test_a_real_429_is_retried_after_retry_after(platform):
    """The tiny tier allows 2 requests per 2 s: spend it until refused, then call with retries on."""
    quiet = SumeruES(api_key=platform["SUMERU_TINY_API_KEY"], max_retries=0)
    seen = []

    def record(response):
        seen.append((response.status_code, response.headers.get("retry-after"), time.time()))

    tiny = SumeruES(api_key=platform["SUMERU_TINY_API_KEY"], http_client=httpx.Client(timeout=30, event_hooks={"response": [record]}))
    for _ in range(3):
        for _ in range(10):
            try:
                quiet.usage.get()
            except RateLimitError:
                break
        seen.clear()
        assert tiny.usage.get().type == "usage"
        if len(seen) >= 2:
            break  # else the window refilled before the call (a slow machine): again
    assert len(seen) >= 2, seen
    refused, ok = seen[0], seen[-1]
    assert refused[0] == 429 and ok[0] == 200
    assert float(refused[1]) >= 1
    assert ok[2] - refused[2] >= float(refused[1]) - 0.05
