"""Errors raised by the client; every API error carries the envelope's fields and the HTTP status."""
from __future__ import annotations

import email.utils
import time
from typing import Any, Optional

import httpx


class SumeruError(Exception):
    """Base class of everything this SDK raises."""


class APIError(SumeruError):
    """An error answer of the API (the `{"error": {code, message, details, request_id}}` envelope)."""

    def __init__(self, status: int, body: Any, headers: httpx.Headers) -> None:
        env = body.get("error") if isinstance(body, dict) else None
        env = env if isinstance(env, dict) else {}
        #: HTTP status.
        self.status: int = status
        #: Stable snake_case code (`not_found`, `validation_failed`, ...).
        self.code: str = env.get("code") if isinstance(env.get("code"), str) else f"http_{status}"
        #: The API's message.
        self.message: str = env.get("message") if isinstance(env.get("message"), str) else f"HTTP {status}"
        #: Machine-readable context (`field`, `required_scope`, ...).
        self.details: dict[str, Any] = env.get("details") or {}
        #: The request id (`X-Request-Id`).
        self.request_id: Optional[str] = env.get("request_id") or headers.get("x-request-id")
        self.headers = headers
        super().__init__(f"{status} {self.code}: {self.message}")


class ValidationError(APIError):
    """400/422: a parameter or body field is invalid (`details["field"]`)."""


class AuthenticationError(APIError):
    """401: missing, malformed, unknown, revoked or expired key."""


class PermissionError(APIError):  # noqa: A001 (the name the SDKs share)
    """403: the key lacks the scope (`details["required_scope"]`)."""


class NotFoundError(APIError):
    """404: no such resource."""


class ConflictError(APIError):
    """409: duplicate, `invalid_state`, idempotency key reused or in use."""


class RateLimitError(APIError):
    """429: rate limited."""

    @property
    def retry_after(self) -> Optional[float]:
        """The server's `Retry-After`, in seconds."""
        return parse_retry_after(self.headers.get("retry-after"))


class InternalServerError(APIError):
    """5xx after the retries were spent."""


class APIConnectionError(SumeruError):
    """No answer: connection refused, reset, DNS."""


class APITimeoutError(APIConnectionError):
    """No answer within the timeout."""


def error_for(status: int, body: Any, headers: httpx.Headers) -> APIError:
    """The typed error of an error answer."""
    cls: type[APIError]
    if status in (400, 422):
        cls = ValidationError
    elif status == 401:
        cls = AuthenticationError
    elif status == 403:
        cls = PermissionError
    elif status == 404:
        cls = NotFoundError
    elif status == 409:
        cls = ConflictError
    elif status == 429:
        cls = RateLimitError
    elif status >= 500:
        cls = InternalServerError
    else:
        cls = APIError
    return cls(status, body, headers)


def parse_retry_after(value: Optional[str]) -> Optional[float]:
    """`Retry-After` as seconds (delta-seconds or an HTTP date)."""
    if value is None or not value.strip():
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        at = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, at.timestamp() - time.time())
