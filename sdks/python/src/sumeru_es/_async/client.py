"""The async client. `scripts/unasync.py` generates `_sync/client.py` from this file
(as httpcore does): edit here, then run it; a test fails when the two drift."""
from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, Dict, Generic, List, Mapping, Optional, Sequence, TypeVar, Union

import httpx

from .._common import (
    RETRY_STATUSES,
    Page,
    RateLimitInfo,
    Resource,
    backoff,
    doc,
    headers_for,
    list_query,
    new_idempotency_key,
    parse_body,
    resolve_base_url,
)
from .._errors import APIConnectionError, APITimeoutError, error_for, parse_retry_after
from .._generated import params as p
from ..types import (
    Attribution,
    Campaign,
    CampaignCreate,
    Customer,
    CustomerUpdate,
    DecisionRun,
    Enrollment,
    InventoryChange,
    InventoryLevel,
    Journey,
    JourneyCreate,
    Order,
    Product,
    ProductWrite,
    SeoKeyword,
    Usage,
)

T = TypeVar("T", bound=Resource)
Sort = Union[str, Sequence[str], None]


class AsyncTransport:
    """One request per attempt; retries on 429/5xx/connection errors with backoff that honours
    `Retry-After`; one `Idempotency-Key` per POST/PATCH kept across retries; typed errors."""

    def __init__(
        self,
        api_key: Optional[str],
        base_url: Optional[str],
        timeout: float,
        max_retries: int,
        max_retry_after: float,
        http_client: Optional[httpx.AsyncClient],
        default_headers: Optional[Mapping[str, str]],
    ) -> None:
        self.base_url = resolve_base_url(base_url)
        self.max_retries = max_retries
        self.max_retry_after = max_retry_after
        self.headers = headers_for(api_key, default_headers)
        self.timeout = timeout
        self._own = http_client is None
        self.http = http_client or httpx.AsyncClient(timeout=timeout)
        self.last_rate_limit: Optional[RateLimitInfo] = None
        self.last_request_id: Optional[str] = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: Optional[Mapping[str, str]] = None,
        body: Any = None,
        idempotency_key: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> Any:
        headers = dict(self.headers)
        if method in ("POST", "PATCH"):
            headers["idempotency-key"] = idempotency_key or new_idempotency_key()
        retries = self.max_retries if max_retries is None else max_retries
        attempt = 0
        while True:
            try:
                res = await self.http.request(
                    method,
                    self.base_url + path,
                    params=query,
                    json=body,
                    headers=headers,
                    timeout=self.timeout if timeout is None else timeout,
                )
            except httpx.TimeoutException as e:
                if attempt < retries:
                    await asyncio.sleep(backoff(attempt))
                    attempt += 1
                    continue
                raise APITimeoutError(f"{method} {path}: no answer in time") from e
            except httpx.TransportError as e:
                if attempt < retries:
                    await asyncio.sleep(backoff(attempt))
                    attempt += 1
                    continue
                raise APIConnectionError(f"{method} {path}: {e}") from e
            self.last_request_id = res.headers.get("x-request-id")
            self.last_rate_limit = RateLimitInfo.from_headers(res.headers) or self.last_rate_limit
            parsed = parse_body(res)
            if res.is_success:
                return parsed
            if res.status_code in RETRY_STATUSES and attempt < retries:
                after = parse_retry_after(res.headers.get("retry-after"))
                if after is None or after <= self.max_retry_after:
                    await asyncio.sleep(after if after is not None else backoff(attempt))
                    attempt += 1
                    continue
            raise error_for(res.status_code, parsed, res.headers)

    async def one(self, method: str, path: str, **kw: Any) -> Any:
        return Resource((await self.request(method, path, **kw))["data"])

    async def aclose(self) -> None:
        if self._own:
            await self.http.aclose()


class AsyncPagedList(Generic[T]):
    """A lazily fetched list: `async for item in …` walks every page; `pages()` page by page."""

    def __init__(self, t: AsyncTransport, path: str, query: Dict[str, str]) -> None:
        self._t, self._path, self._query = t, path, query

    async def first_page(self) -> Page:
        return await self._fetch(self._query.get("cursor"))

    async def pages(self) -> AsyncIterator[Page]:
        cursor = self._query.get("cursor")
        while True:
            page = await self._fetch(cursor)
            yield page
            if not page.pagination.get("has_next") or not page.pagination.get("next_cursor"):
                return
            cursor = page.pagination["next_cursor"]

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.data:
                yield item

    async def to_list(self, max_items: Optional[int] = None) -> List[T]:
        out: List[T] = []
        async for item in self:
            if max_items is not None and len(out) >= max_items:
                break
            out.append(item)
        return out

    async def _fetch(self, cursor: Optional[str]) -> Page:
        q = dict(self._query)
        if cursor:
            q["cursor"] = cursor
        body = await self._t.request("GET", self._path, query=q)
        return Page(
            data=[Resource(o) for o in body["data"]],
            pagination=body["pagination"],
            included=[Resource(o) for o in body.get("included") or []],
        )


class _AsyncNamespace:
    def __init__(self, t: AsyncTransport) -> None:
        self._t = t

    def _list(self, path: str, filter: Any, sort: Sort, limit: Optional[int], cursor: Optional[str], include: Any = None) -> Any:
        return AsyncPagedList(self._t, path, list_query(filter, sort, limit, cursor, include))


def _seg(id: str) -> str:
    return httpx.URL("/" + id).raw_path.decode()[1:].replace("/", "%2F")


class AsyncCustomers(_AsyncNamespace):
    def list(self, *, filter: Optional[p.ListCustomersFilter] = None, sort: Union[p.ListCustomersSort, Sequence[p.ListCustomersSort], None] = None, limit: Optional[int] = None, cursor: Optional[str] = None) -> AsyncPagedList[Customer]:
        """`GET /api/v1/customers` (customers:read)."""
        return self._list("/api/v1/customers", filter, sort, limit, cursor)

    async def get(self, customer_id: str) -> Customer:
        """`GET /api/v1/customers/{customer_id}` (customers:read)."""
        return await self._t.one("GET", f"/api/v1/customers/{_seg(customer_id)}")

    async def update(self, customer_id: str, attributes: CustomerUpdate, *, idempotency_key: Optional[str] = None) -> Customer:
        """`PATCH /api/v1/customers/{customer_id}` (customers:write): only the given attributes change."""
        return await self._t.one("PATCH", f"/api/v1/customers/{_seg(customer_id)}", body=doc("customer", attributes), idempotency_key=idempotency_key)

    def list_orders(self, customer_id: str, *, filter: Optional[p.ListCustomerOrdersFilter] = None, sort: Union[p.ListCustomerOrdersSort, Sequence[p.ListCustomerOrdersSort], None] = None, limit: Optional[int] = None, cursor: Optional[str] = None) -> AsyncPagedList[Order]:
        """`GET /api/v1/customers/{customer_id}/orders` (orders:read)."""
        return self._list(f"/api/v1/customers/{_seg(customer_id)}/orders", filter, sort, limit, cursor)


class AsyncOrders(_AsyncNamespace):
    def list(self, *, filter: Optional[p.ListOrdersFilter] = None, sort: Union[p.ListOrdersSort, Sequence[p.ListOrdersSort], None] = None, limit: Optional[int] = None, cursor: Optional[str] = None) -> AsyncPagedList[Order]:
        """`GET /api/v1/orders` (orders:read)."""
        return self._list("/api/v1/orders", filter, sort, limit, cursor)

    async def get(self, order_id: str) -> Order:
        """`GET /api/v1/orders/{order_id}` (orders:read)."""
        return await self._t.one("GET", f"/api/v1/orders/{_seg(order_id)}")


class AsyncAttributionApi(_AsyncNamespace):
    def list(self, *, filter: Optional[p.ListAttributionFilter] = None, sort: Union[p.ListAttributionSort, Sequence[p.ListAttributionSort], None] = None, limit: Optional[int] = None, cursor: Optional[str] = None, include: Optional[str] = None) -> AsyncPagedList[Attribution]:
        """`GET /api/v1/attribution` (attribution:read); `include="touchpoints"` fills each page's `included`."""
        return self._list("/api/v1/attribution", filter, sort, limit, cursor, include)


class AsyncCampaigns(_AsyncNamespace):
    def list(self, *, filter: Optional[p.ListCampaignsFilter] = None, sort: Union[p.ListCampaignsSort, Sequence[p.ListCampaignsSort], None] = None, limit: Optional[int] = None, cursor: Optional[str] = None) -> AsyncPagedList[Campaign]:
        """`GET /api/v1/campaigns` (campaigns:read)."""
        return self._list("/api/v1/campaigns", filter, sort, limit, cursor)

    async def get(self, campaign_id: str) -> Campaign:
        """`GET /api/v1/campaigns/{id}` (campaigns:read)."""
        return await self._t.one("GET", f"/api/v1/campaigns/{_seg(campaign_id)}")

    async def create(self, attributes: CampaignCreate, *, idempotency_key: Optional[str] = None) -> Campaign:
        """`POST /api/v1/campaigns` (campaigns:write)."""
        return await self._t.one("POST", "/api/v1/campaigns", body=doc("campaign", attributes), idempotency_key=idempotency_key)

    async def launch(self, campaign_id: str, *, idempotency_key: Optional[str] = None) -> Campaign:
        """`POST /api/v1/campaigns/{id}/launch` (campaigns:write): `draft`/`scheduled` → `active`."""
        return await self._t.one("POST", f"/api/v1/campaigns/{_seg(campaign_id)}/launch", idempotency_key=idempotency_key)


class AsyncJourneys(_AsyncNamespace):
    def list(self, *, filter: Optional[p.ListJourneysFilter] = None, sort: Union[p.ListJourneysSort, Sequence[p.ListJourneysSort], None] = None, limit: Optional[int] = None, cursor: Optional[str] = None) -> AsyncPagedList[Journey]:
        """`GET /api/v1/journeys` (journeys:read)."""
        return self._list("/api/v1/journeys", filter, sort, limit, cursor)

    async def get(self, journey_id: str) -> Journey:
        """`GET /api/v1/journeys/{id}` (journeys:read)."""
        return await self._t.one("GET", f"/api/v1/journeys/{_seg(journey_id)}")

    async def create(self, attributes: JourneyCreate, *, idempotency_key: Optional[str] = None) -> Journey:
        """`POST /api/v1/journeys` (journeys:write)."""
        return await self._t.one("POST", "/api/v1/journeys", body=doc("journey", attributes), idempotency_key=idempotency_key)

    def list_enrollments(self, journey_id: str, *, filter: Optional[p.ListEnrollmentsFilter] = None, sort: Union[p.ListEnrollmentsSort, Sequence[p.ListEnrollmentsSort], None] = None, limit: Optional[int] = None, cursor: Optional[str] = None) -> AsyncPagedList[Enrollment]:
        """`GET /api/v1/journeys/{id}/enrollments` (journeys:read)."""
        return self._list(f"/api/v1/journeys/{_seg(journey_id)}/enrollments", filter, sort, limit, cursor)


class AsyncProducts(_AsyncNamespace):
    def list(self, *, filter: Optional[p.ListProductsFilter] = None, sort: Union[p.ListProductsSort, Sequence[p.ListProductsSort], None] = None, limit: Optional[int] = None, cursor: Optional[str] = None) -> AsyncPagedList[Product]:
        """`GET /api/v1/products` (products:read)."""
        return self._list("/api/v1/products", filter, sort, limit, cursor)

    async def get(self, product_id: str) -> Product:
        """`GET /api/v1/products/{id}` (products:read)."""
        return await self._t.one("GET", f"/api/v1/products/{_seg(product_id)}")

    async def create(self, attributes: ProductWrite, *, idempotency_key: Optional[str] = None) -> Product:
        """`POST /api/v1/products` (products:write)."""
        return await self._t.one("POST", "/api/v1/products", body=doc("product", attributes), idempotency_key=idempotency_key)

    async def update(self, product_id: str, attributes: ProductWrite, *, idempotency_key: Optional[str] = None) -> Product:
        """`PATCH /api/v1/products/{id}` (products:write)."""
        return await self._t.one("PATCH", f"/api/v1/products/{_seg(product_id)}", body=doc("product", attributes), idempotency_key=idempotency_key)


class AsyncInventory(_AsyncNamespace):
    def list(self, *, filter: Optional[p.ListInventoryFilter] = None, sort: Union[p.ListInventorySort, Sequence[p.ListInventorySort], None] = None, limit: Optional[int] = None, cursor: Optional[str] = None) -> AsyncPagedList[InventoryLevel]:
        """`GET /api/v1/inventory` (products:read)."""
        return self._list("/api/v1/inventory", filter, sort, limit, cursor)

    async def bulk_update(self, changes: Sequence[InventoryChange], *, idempotency_key: Optional[str] = None) -> List[InventoryLevel]:
        """`PATCH /api/v1/inventory` (products:write): 1–100 changes, all or nothing."""
        body = await self._t.request("PATCH", "/api/v1/inventory", body={"data": list(changes)}, idempotency_key=idempotency_key)
        return [Resource(o) for o in body["data"]]


class AsyncDecisionRuns(_AsyncNamespace):
    def list(self, *, filter: Optional[p.ListRunsFilter] = None, sort: Union[p.ListRunsSort, Sequence[p.ListRunsSort], None] = None, limit: Optional[int] = None, cursor: Optional[str] = None) -> AsyncPagedList[DecisionRun]:
        """`GET /api/v1/decision-intelligence/runs` (analytics:read)."""
        return self._list("/api/v1/decision-intelligence/runs", filter, sort, limit, cursor)

    async def get(self, run_id: str) -> DecisionRun:
        """`GET /api/v1/decision-intelligence/runs/{run_id}` (analytics:read)."""
        return await self._t.one("GET", f"/api/v1/decision-intelligence/runs/{_seg(run_id)}")


class AsyncSeoKeywords(_AsyncNamespace):
    def list(self, *, filter: Optional[p.ListKeywordsFilter] = None, sort: Union[p.ListKeywordsSort, Sequence[p.ListKeywordsSort], None] = None, limit: Optional[int] = None, cursor: Optional[str] = None) -> AsyncPagedList[SeoKeyword]:
        """`GET /api/v1/seo-intelligence/keywords` (analytics:read)."""
        return self._list("/api/v1/seo-intelligence/keywords", filter, sort, limit, cursor)

    async def get(self, kw_id: str) -> SeoKeyword:
        """`GET /api/v1/seo-intelligence/keywords/{kw_id}` (analytics:read)."""
        return await self._t.one("GET", f"/api/v1/seo-intelligence/keywords/{_seg(kw_id)}")


class AsyncUsageApi(_AsyncNamespace):
    async def get(self) -> Usage:
        """`GET /api/v1/usage` (any valid key)."""
        return await self._t.one("GET", "/api/v1/usage")


class AsyncDecisionIntelligence:
    def __init__(self, t: AsyncTransport) -> None:
        self.runs = AsyncDecisionRuns(t)


class AsyncSeoIntelligence:
    def __init__(self, t: AsyncTransport) -> None:
        self.keywords = AsyncSeoKeywords(t)


class AsyncSumeruES:
    """The Sumeru Admin API v1 client (async).

    `base_url` defaults to `SUMERU_BASE_URL`, else `https://api.sumeru.systems`; `timeout` is per
    attempt (seconds); `max_retries` retries 429/5xx/connection errors; a `Retry-After` longer than
    `max_retry_after` seconds is not waited for (the `RateLimitError` is raised)."""

    def __init__(
        self,
        api_key: Optional[str] = None,
        *,
        base_url: Optional[str] = None,
        timeout: float = 60.0,
        max_retries: int = 2,
        max_retry_after: float = 60.0,
        http_client: Optional[httpx.AsyncClient] = None,
        default_headers: Optional[Mapping[str, str]] = None,
    ) -> None:
        t = self._transport = AsyncTransport(api_key, base_url, timeout, max_retries, max_retry_after, http_client, default_headers)
        self.customers = AsyncCustomers(t)
        self.orders = AsyncOrders(t)
        self.attribution = AsyncAttributionApi(t)
        self.campaigns = AsyncCampaigns(t)
        self.journeys = AsyncJourneys(t)
        self.products = AsyncProducts(t)
        self.inventory = AsyncInventory(t)
        self.decision_intelligence = AsyncDecisionIntelligence(t)
        self.seo_intelligence = AsyncSeoIntelligence(t)
        self.usage = AsyncUsageApi(t)

    @property
    def base_url(self) -> str:
        return self._transport.base_url

    @property
    def rate_limit(self) -> Optional[RateLimitInfo]:
        """`X-RateLimit-*` of the last response that carried them."""
        return self._transport.last_rate_limit

    @property
    def last_request_id(self) -> Optional[str]:
        return self._transport.last_request_id

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def __aenter__(self) -> "AsyncSumeruES":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
