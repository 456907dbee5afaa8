"""Admin for sales-rep SMS: the merchant's settings and the read-only log with "resend"."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from personalization.admin.readonly import ReadOnlyMixin
from personalization.fields import format_money
from personalization.messaging import alerts
from personalization.models import RepAlertSettings, RepNotification
from personalization.models.notifications import PLACEHOLDERS


@admin.register(RepAlertSettings)
class RepAlertSettingsAdmin(admin.ModelAdmin):
    """One settings row: the list view goes straight to its form."""

    fieldsets = [
        (None, {"fields": ["enabled", "minimum_order_value", "skip_orders_entered_by_rep"]}),
        (_("Quiet hours"), {"fields": ["quiet_hours_start", "quiet_hours_end"],
                            "description": _("In the store's time zone.")}),
        (_("Message"), {"fields": ["message_template", "placeholder_help"]}),
    ]
    readonly_fields = ["placeholder_help"]

    @admin.display(description=_("placeholders"))
    def placeholder_help(self, obj: Any = None) -> str:
        return format_html("<br>".join(["<code>{{{{ {} }}}}</code>: {}"] * len(PLACEHOLDERS)),
                           *[v for name, label in PLACEHOLDERS.items() for v in (name, label)])

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        obj = RepAlertSettings.load()
        return HttpResponseRedirect(
            reverse("admin:personalization_repalertsettings_change", args=[obj.pk]))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RepNotification)
class RepNotificationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    class Media:
        css = {"all": ["personalization/admin/lists.css"]}

    list_display = ["created_at", "order_reference", "rep", "customer", "status_and_attempts",
                    "short_error"]
    list_filter = ["status", "created_at"]
    search_fields = ["order_reference", "rep_name", "phone", "customer_name",
                     "provider_message_id"]
    date_hierarchy = "created_at"
    actions = ["resend"]
    fields = ["order_reference", "order_link", "rep_name", "rep_reference", "phone",
              "customer_name", "order_total", "body", "status", "attempts",
              "provider_message_id", "last_error", "send_after", "claimed_at", "sent_at",
              "created_at", "updated_at"]
    readonly_fields = fields

    @admin.display(description=_("customer, total"), ordering="customer_name")
    def customer(self, obj: RepNotification) -> str:
        total = format_money(obj.order_total) if obj.order_total is not None else "–"
        return format_html('{}<br><span class="pz-quiet">{}</span>', obj.customer_name, total)

    @admin.display(description=_("status"), ordering="status")
    def status_and_attempts(self, obj: RepNotification) -> str:
        attempts = ngettext("%(n)d attempt", "%(n)d attempts", obj.attempts) % {
            "n": obj.attempts}
        return format_html('{}<br><span class="pz-quiet">{}</span>', obj.get_status_display(),
                           attempts)

    @admin.display(description=_("sales rep"), ordering="rep_name")
    def rep(self, obj: RepNotification) -> str:
        return format_html('{}<br><span class="pz-quiet">{}</span>', obj.rep_name,
                           str(obj.phone or ""))

    @admin.display(description=_("last error (or when sent)"))
    def short_error(self, obj: RepNotification) -> str:
        if obj.status == RepNotification.Status.SENT and obj.sent_at:
            return format_html('<span class="pz-quiet">{} {}</span>', _("sent"),
                               date_format(timezone.localtime(obj.sent_at),
                                           "SHORT_DATETIME_FORMAT"))
        return obj.last_error if len(obj.last_error) <= 80 else obj.last_error[:79] + "…"

    @admin.display(description=_("order in the admin"))
    def order_link(self, obj: RepNotification) -> str:
        return format_html('<a href="{}">{}</a>', obj.admin_url, obj.admin_url) \
            if obj.admin_url else "–"

    @admin.action(description=_("Resend the selected failed SMS"), permissions=["change"])
    def resend(self, request: HttpRequest, queryset: QuerySet[RepNotification]) -> None:
        count = alerts.resend(queryset)
        if count:
            self.message_user(request, ngettext(
                "%(count)d SMS queued again.", "%(count)d SMS queued again.", count)
                % {"count": count}, messages.SUCCESS)
        else:
            self.message_user(request, _("Only failed SMS with a valid number can be resent."),
                              messages.WARNING)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Viewing only; the changelist action still needs "change" on the list (obj=None).
        return obj is None and admin.ModelAdmin.has_change_permission(self, request)
