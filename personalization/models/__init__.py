"""Models of the personalization app."""

from personalization.models.affinities import ProductAffinity
from personalization.models.bandits import BanditUpdate
from personalization.models.campaigns import (
    Allocation,
    Analysis,
    Campaign,
    DecisionMetric,
    Slot,
    SlotKind,
)
from personalization.models.consent import ConsentPurpose, ConsentRecord
from personalization.models.events import Event, RecordedOrder
from personalization.models.experiments import DailyRollup, ExperimentRun, KpiSnapshot
from personalization.models.journeys import Journey, JourneyMessage
from personalization.models.notifications import RepAlertSettings, RepNotification
from personalization.models.outbox import OutboxMessage
from personalization.models.profiles import VisitorAlias, VisitorProfile
from personalization.models.segments import Segment, SegmentMembership
from personalization.models.variants import (
    VARIANT_KINDS,
    BannerVariant,
    ContentVariant,
    DiscountVariant,
    IssuedCode,
    PopupVariant,
    ProductListVariant,
    TextVariant,
)
from personalization.rules import *  # noqa: F403  (rule types are models of this app)
from personalization.rules import Rule

__all__ = [
    "VARIANT_KINDS", "Allocation", "Analysis", "BanditUpdate", "BannerVariant", "Campaign",
    "ConsentPurpose",
    "ConsentRecord", "DecisionMetric",
    "ContentVariant", "DailyRollup", "DiscountVariant", "Event", "ExperimentRun",
    "IssuedCode", "Journey", "JourneyMessage", "KpiSnapshot",
    "OutboxMessage", "PopupVariant", "ProductAffinity",
    "ProductListVariant", "RecordedOrder", "RepAlertSettings", "RepNotification", "Rule",
    "Segment",
    "SegmentMembership", "Slot", "SlotKind", "TextVariant", "VisitorAlias", "VisitorProfile",
]
