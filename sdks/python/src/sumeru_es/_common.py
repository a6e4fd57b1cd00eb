"""What the sync and async clients share: options, rate-limit state, resources, query encoding."""
from __future__ import annotations

import os
import random
import uuid
from dataclasses import dataclass
from typing import Any, Dict, Generic, Mapping, Optional, Sequence, TypeVar, Union

import httpx

from ._generated.models import Pagination, Relationships

DEFAULT_BASE_URL = "https://api.sumeru.systems"
VERSION = "0.1.0"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

A = TypeVar("A", bound=Mapping[str, Any])


@dataclass(frozen=True)
class RateLimitInfo:
    """Rate-limit state read from a response's `X-RateLimit-*` headers."""

    limit: int
    remaining: int
    #: When the window resets, epoch seconds.
    reset: int
    policy: Optional[str] = None

    @classmethod
    def from_headers(cls, h: httpx.Headers) -> Optional["RateLimitInfo"]:
        try:
            return cls(
                limit=int(h["x-ratelimit-limit"]),
                remaining=int(h.get("x-ratelimit-remaining", "-1")),
                reset=int(h.get("x-ratelimit-reset", "0")),
                policy=h.get("ratelimit-policy"),
            )
        except (KeyError, ValueError):
            return None


class Resource(Generic[A]):
    """A JSON:API resource: attributes as properties (`customer.lifecycle_stage`),
    with `id`, `type`, `attributes`, `relationships` and `links` kept."""

    __slots__ = ("id", "type", "attributes", "relationships", "links", "_raw")

    def __init__(self, obj: Mapping[str, Any]) -> None:
        self.id: str = obj["id"]
        self.type: str = obj["type"]
        self.attributes: A = obj.get("attributes") or {}  # type: ignore[assignment]
        self.relationships: Optional[Relationships] = obj.get("relationships")
        self.links: Optional[Dict[str, Any]] = obj.get("links")
        self._raw = obj

    def __getattr__(self, name: str) -> Any:
        try:
            return self.attributes[name]
        except KeyError:
            raise AttributeError(f"{self.type} has no attribute {name!r}") from None

    def __getitem__(self, name: str) -> Any:
        return self.attributes[name]

    def to_dict(self) -> Dict[str, Any]:
        """The JSON:API object as it came."""
        return dict(self._raw)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Resource) and other._raw == self._raw

    def __repr__(self) -> str:
        return f"<{self.type} {self.id} {dict(self.attributes)!r}>"


@dataclass
class Page(Generic[A]):
    """One page of a list."""

    data: list
    pagination: Pagination
    included: list


FilterValue = Union[str, int, float, bool, Sequence[str]]


def list_query(
    filter: Optional[Mapping[str, FilterValue]] = None,
    sort: Union[str, Sequence[str], None] = None,
    limit: Optional[int] = None,
    cursor: Optional[str] = None,
    include: Union[str, Sequence[str], None] = None,
) -> Dict[str, str]:
    """`filter={"lifecycle_stage": ["loyal", "active"]}` → `filter[lifecycle_stage]=loyal,active`, and so on."""
    q: Dict[str, str] = {}
    for k, v in (filter or {}).items():
        if v is None:
            continue
        if isinstance(v, bool):
            q[f"filter[{k}]"] = "true" if v else "false"
        elif isinstance(v, (list, tuple)):
            q[f"filter[{k}]"] = ",".join(v)
        else:
            q[f"filter[{k}]"] = str(v)
    if sort is not None:
        q["sort"] = sort if isinstance(sort, str) else ",".join(sort)
    if include is not None:
        q["include"] = include if isinstance(include, str) else ",".join(include)
    if limit is not None:
        q["limit"] = str(limit)
    if cursor is not None:
        q["cursor"] = cursor
    return q


def resolve_base_url(base_url: Optional[str]) -> str:
    return (base_url or os.environ.get("SUMERU_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")


def new_idempotency_key() -> str:
    return f"sdk_{uuid.uuid4()}"


def backoff(attempt: int) -> float:
    """Exponential backoff with jitter: 0.5 s, 1 s, 2 s … capped at 8 s."""
    cap = min(8.0, 0.5 * 2**attempt)
    return cap / 2 + random.random() * cap / 2


def headers_for(api_key: Optional[str], extra: Optional[Mapping[str, str]]) -> Dict[str, str]:
    h = {"accept": "application/json", "user-agent": f"sumeru-sdk-python/{VERSION}"}
    if api_key:
        h["authorization"] = f"Bearer {api_key}"
    h.update(extra or {})
    return h


def parse_body(res: httpx.Response) -> Any:
    if not res.content:
        return None
    try:
        return res.json()
    except ValueError:
        return res.text


def doc(type_: str, attributes: Mapping[str, Any]) -> Dict[str, Any]:
    """Write attributes as a JSON:API document."""
    return {"data": {"type": type_, "attributes": dict(attributes)}}
