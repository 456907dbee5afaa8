"""Models of the personalization app."""

from ..rules import *  # noqa: F403  (rule types are models of this app)
from ..rules import Rule
from .affinities import ProductAffinity
from .campaigns import Campaign, Slot, SlotKind
from .consent import ConsentPurpose, ConsentRecord
from .events import Event
from .notifications import RepAlertSettings, RepNotification
from .profiles import VisitorAlias, VisitorProfile
from .segments import Segment, SegmentMembership
from .variants import (
    VARIANT_KINDS,
    BannerVariant,
    ContentVariant,
    DiscountVariant,
    PopupVariant,
    ProductListVariant,
    TextVariant,
)

__all__ = [
    "VARIANT_KINDS", "BannerVariant", "Campaign", "ConsentPurpose", "ConsentRecord",
    "ContentVariant", "DiscountVariant", "Event", "PopupVariant", "ProductAffinity",
    "ProductListVariant", "RepAlertSettings", "RepNotification", "Rule", "Segment",
    "SegmentMembership", "Slot", "SlotKind", "TextVariant", "VisitorAlias", "VisitorProfile",
]
