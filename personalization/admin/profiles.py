"""Read-only admin for visitor profiles and the event log."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from personalization.admin.readonly import ReadOnlyMixin
from personalization.datarights.subjects import erase_subject, export_subject
from personalization.measurement.events import flush_events
from personalization.models import Event, VisitorAlias, VisitorProfile

logger = logging.getLogger(__name__)


def pretty_json(value: Any) -> SafeString:
    """A JSON value indented in a <pre> block ("–" when empty)."""
    if not value:
        return format_html("{}", "–")
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    return format_html('<pre style="margin:0">{}</pre>', text)


class VisitorAliasInline(ReadOnlyMixin, admin.TabularInline):
    model = VisitorAlias
    fields = ["alias", "created_at"]
    readonly_fields = ["alias", "created_at"]
    extra = 0
    verbose_name = _("other browser or device")
    verbose_name_plural = _("other browsers and devices")


@admin.register(VisitorProfile)
class VisitorProfileAdmin(ReadOnlyMixin, admin.ModelAdmin):
    class Media:
        css = {"all": ["personalization/admin/lists.css"]}

    inlines = [VisitorAliasInline]
    list_display = ["visitor_id", "user", "visit_count", "first_seen", "last_seen"]
    list_select_related = ["user"]
    search_fields = ["visitor_id", "user__username", "user__email", "aliases__alias"]
    date_hierarchy = "last_seen"
    fields = ["visitor_id", "user", "visit_count", "first_seen", "last_seen",
              "pretty_attributes", "pretty_aggregates", "aggregates_updated_at"]
    readonly_fields = fields
    actions = ["export_personal_data", "erase_personal_data"]

    @admin.action(description=_("Export all data held on the selected visitors (JSON)"),
                  permissions=["view"])
    def export_personal_data(self, request: HttpRequest, queryset: Any) -> HttpResponse:
        data = [export_subject(user=p.user, visitor_id=str(p.visitor_id)) for p in queryset]
        response = HttpResponse(json.dumps(data, cls=DjangoJSONEncoder, indent=2),
                                content_type="application/json")
        response["Content-Disposition"] = 'attachment; filename="personal-data.json"'
        return response

    @admin.action(description=_("Erase the personal data of the selected visitors"),
                  permissions=["erase"])
    def erase_personal_data(self, request: HttpRequest, queryset: Any) -> None:
        erased = 0
        for profile in list(queryset):
            erase_subject(user=profile.user, visitor_id=str(profile.visitor_id))
            erased += 1
        self.message_user(request, _(
            "Erased the personal data of %(n)s visitors; their consent records are kept "
            "under a pseudonym.") % {"n": erased}, messages.SUCCESS)

    def has_erase_permission(self, request: HttpRequest) -> bool:
        """Erasing is how a profile is deleted here (with its events, aliases and the
        rest; the row alone never is), so it takes the permission to delete profiles."""
        codename = get_permission_codename("delete", self.opts)
        return request.user.has_perm(f"{self.opts.app_label}.{codename}")

    @admin.display(description=_("attributes"))
    def pretty_attributes(self, obj: VisitorProfile) -> SafeString:
        return pretty_json(obj.attributes)

    @admin.display(description=_("order-history aggregates"))
    def pretty_aggregates(self, obj: VisitorProfile) -> SafeString:
        return pretty_json(obj.aggregates)


@admin.register(Event)
class EventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    class Media:
        css = {"all": ["personalization/admin/lists.css"]}

    list_display = ["created_at", "type", "slot", "campaign", "variant", "control", "value",
                    "reference", "visitor_id", "user"]
    list_filter = ["type", "control", "campaign"]
    list_select_related = ["campaign", "variant", "user"]
    search_fields = ["visitor_id", "slot", "reference", "campaign__name", "user__username"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> Any:
        """The list shows what the visitors did up to now: the buffer is written first."""
        try:
            flush_events()
        except Exception:  # a full buffer or a busy lock must not cost the merchant the list
            logger.exception("Could not flush the event buffer before listing events")
        return super().changelist_view(request, extra_context)
