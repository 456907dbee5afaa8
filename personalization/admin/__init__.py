"""Admin for segments, campaigns, profiles and events; importing it registers them."""

from personalization.admin.campaigns import CampaignAdmin, SlotAdmin, schedule_text
from personalization.admin.consent import ConsentPurposeAdmin, ConsentRecordAdmin
from personalization.admin.journeys import JourneyAdmin, JourneyMessageAdmin
from personalization.admin.notifications import RepAlertSettingsAdmin, RepNotificationAdmin
from personalization.admin.profiles import EventAdmin, VisitorProfileAdmin
from personalization.admin.segments import (
    RuleInline,
    SegmentAdmin,
    SegmentMembershipAdmin,
    rule_child_inlines,
)

__all__ = [
    "CampaignAdmin", "ConsentPurposeAdmin", "ConsentRecordAdmin", "EventAdmin",
    "JourneyAdmin", "JourneyMessageAdmin",
    "RepAlertSettingsAdmin", "RepNotificationAdmin",
    "RuleInline", "SegmentAdmin", "SegmentMembershipAdmin",
    "SlotAdmin", "VisitorProfileAdmin", "rule_child_inlines", "schedule_text",
]
