"""Admin for segments, campaigns, profiles and events; importing it registers them."""

from .campaigns import CampaignAdmin, SlotAdmin, schedule_text
from .consent import ConsentPurposeAdmin, ConsentRecordAdmin
from .notifications import RepAlertSettingsAdmin, RepNotificationAdmin
from .profiles import EventAdmin, VisitorProfileAdmin
from .segments import RuleInline, SegmentAdmin, SegmentMembershipAdmin, rule_child_inlines

__all__ = [
    "CampaignAdmin", "ConsentPurposeAdmin", "ConsentRecordAdmin", "EventAdmin",
    "RepAlertSettingsAdmin", "RepNotificationAdmin",
    "RuleInline", "SegmentAdmin", "SegmentMembershipAdmin",
    "SlotAdmin", "VisitorProfileAdmin", "rule_child_inlines", "schedule_text",
]
