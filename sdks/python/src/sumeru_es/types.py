"""Resource types: `Resource[<generated attributes TypedDict>]` per resource type."""
from __future__ import annotations

from typing_extensions import TypeAlias

from ._common import Resource
from ._generated.models import (
    AttributionAttributes,
    CampaignAttributes,
    CampaignCreate,
    CustomerAttributes,
    CustomerUpdate,
    EnrollmentAttributes,
    InventoryAttributes,
    InventoryChange,
    JourneyAttributes,
    JourneyCreate,
    KeywordAttributes,
    OrderAttributes,
    ProductAttributes,
    ProductWrite,
    RunAttributes,
    TouchpointAttributes,
    UsageAttributes,
)

Customer: TypeAlias = Resource[CustomerAttributes]
Order: TypeAlias = Resource[OrderAttributes]
Attribution: TypeAlias = Resource[AttributionAttributes]
Touchpoint: TypeAlias = Resource[TouchpointAttributes]
Campaign: TypeAlias = Resource[CampaignAttributes]
Journey: TypeAlias = Resource[JourneyAttributes]
Enrollment: TypeAlias = Resource[EnrollmentAttributes]
Product: TypeAlias = Resource[ProductAttributes]
InventoryLevel: TypeAlias = Resource[InventoryAttributes]
DecisionRun: TypeAlias = Resource[RunAttributes]
SeoKeyword: TypeAlias = Resource[KeywordAttributes]
Usage: TypeAlias = Resource[UsageAttributes]

__all__ = [
    "Customer", "Order", "Attribution", "Touchpoint", "Campaign", "Journey", "Enrollment", "Product",
    "InventoryLevel", "DecisionRun", "SeoKeyword", "Usage",
    "CampaignCreate", "CustomerUpdate", "JourneyCreate", "ProductWrite", "InventoryChange",
]
