"""`sumeru_es` — the Sumeru Admin API v1 client (sync and async).

    from sumeru_es import SumeruES
    sumeru = SumeruES(api_key=os.environ['ATLANTIS_API_KEY'])
    customer = sumeru.customers.get('cus_abc123')
    print(customer.lifecycle_stage)
"""
from ._async.client import AsyncPagedList, AsyncSumeruES
from ._common import DEFAULT_BASE_URL, VERSION, Page, RateLimitInfo, Resource
from ._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionError,
    RateLimitError,
    SumeruError,
    ValidationError,
)
from ._sync.client import PagedList, SumeruES

__version__ = VERSION
__all__ = [
    "SumeruES", "AsyncSumeruES", "PagedList", "AsyncPagedList", "Page", "Resource", "RateLimitInfo",
    "DEFAULT_BASE_URL", "SumeruError", "APIError", "ValidationError", "AuthenticationError",
    "PermissionError", "NotFoundError", "ConflictError", "RateLimitError", "InternalServerError",
    "APIConnectionError", "APITimeoutError",
]
