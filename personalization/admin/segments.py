"""Segment admin: the segment with its rules inline, one form per rule type."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from polymorphic.admin import PolymorphicInlineSupportMixin, StackedPolymorphicInline
from polymorphic.admin.helpers import PolymorphicInlineAdminFormSet

from personalization.admin.catalog import catalog_lookup_view
from personalization.admin.forms import PolymorphicChildForm, RuleFormSet
from personalization.admin.permissions import admin_url
from personalization.admin.preview import preview_view
from personalization.admin.readonly import ReadOnlyMixin
from personalization.jobs import reach
from personalization.models import Rule, Segment, SegmentMembership
from personalization.rules import rule_types
from personalization.touchpoints.preview import SEGMENT_PERMISSION

logger = logging.getLogger(__name__)


class RuleChildInline(StackedPolymorphicInline.Child):
    """The form of one rule type; :func:`rule_child_inlines` makes one subclass per type."""

    form = PolymorphicChildForm
    exclude = ("segment", "position")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest,
                                 **kwargs: Any) -> Any:
        if db_field.name == "other":
            # A segment cannot contain itself: leave it out of the choices.
            segment_id = request.resolver_match.kwargs.get("object_id") \
                if request.resolver_match else None
            queryset = Segment.objects.all()
            if segment_id and str(segment_id).isdigit():
                queryset = queryset.exclude(pk=segment_id)
            kwargs["queryset"] = queryset
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def rule_child_inlines() -> list[type[RuleChildInline]]:
    """One child inline per concrete rule class: a new rule type needs no admin change."""
    types = sorted(rule_types(), key=lambda c: (str(c.family).casefold(),
                                                str(c._meta.verbose_name).casefold()))
    return [type(f"{cls.__name__}Inline", (RuleChildInline,),
                 {"model": cls, "__module__": __name__})
            for cls in types]


class RuleInline(StackedPolymorphicInline):
    """The segment's rules; the "add" menu lists every rule type by family."""
    template = "admin/personalization/edit_inline/stacked.html"

    model = Rule
    formset = RuleFormSet
    verbose_name = _("rule")
    verbose_name_plural = _("rules")

    def get_child_inlines(self) -> list[type[RuleChildInline]]:
        return rule_child_inlines()


class RuleInlineAdminFormSet(PolymorphicInlineAdminFormSet):
    """Names each rule type with its family in the "add rule" menu ("Cart: cart value")."""

    def inline_formset_data(self) -> str:
        data = json.loads(super().inline_formset_data())
        names = {model._meta.model_name: f"{capfirst(force_str(model.family))}: "
                                         f"{force_str(model._meta.verbose_name)}"
                 for model in self.formset.child_forms}
        for child in data["options"]["childTypes"]:
            child["name"] = names.get(child["type"], child["name"])
        data["options"]["addText"] = gettext("Add a rule")
        return json.dumps(data)


def estimate_later(segment_id: int) -> None:
    """Estimate the segment's reach on a worker (inline when Celery runs eagerly); a broker
    that is down leaves it to the next scheduled refresh."""
    from personalization.jobs.publishing import publish
    from personalization.jobs.tasks import estimate_segment_reach

    handover = publish(estimate_segment_reach, (segment_id,))
    if not handover:
        # Eager Celery runs it here, so this is a failed estimate as often as a broker down.
        logger.warning("The reach estimate of segment %s failed or could not be enqueued: "
                       "%s", segment_id, handover.error)


@admin.register(Segment)
class SegmentAdmin(PolymorphicInlineSupportMixin, admin.ModelAdmin):
    class Media:
        css = {"all": ["personalization/admin/lists.css"]}

    inlines = [RuleInline]
    list_display = ["name_and_slug", "kind_and_match", "enabled", "rule_count", "size",
                    "campaign_names"]
    list_display_links = ["name_and_slug"]
    list_filter = ["kind", "enabled"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    actions = ["refresh_now"]
    readonly_fields = ["last_refreshed_at", "member_count", "entered_count", "exited_count",
                       "reach_now"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "description", "kind", "match", "enabled",
                           "reach_now"]}),
        (_("Last refresh (computed segments)"), {
            "fields": ["last_refreshed_at", "member_count", "entered_count", "exited_count"],
            "classes": ["collapse"]}),
    ]

    def get_urls(self) -> list[URLPattern]:
        # A preview link shows the shop as a segment sees it: reading, like the segment
        # itself (a customer's view needs its own permission, checked by the form). The
        # catalog lookup serves the rule and variant forms of those who may edit them.
        return [admin_url("preview/", self, self.preview, "personalization_preview",
                          read=SEGMENT_PERMISSION),
                admin_url("catalog/", self, catalog_lookup_view,
                          "personalization_catalog_lookup",
                          read=("personalization.change_segment",
                                "personalization.change_campaign")),
                *super().get_urls()]

    def preview(self, request: HttpRequest) -> HttpResponse:
        """The form that makes a staff preview link (a segment or a customer, and a page)."""
        return preview_view(request, self)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Segment]:
        return (super().get_queryset(request)
                .annotate(rule_total=Count("rules", distinct=True))
                .prefetch_related("campaigns"))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any,
                     change: bool) -> None:
        super().save_related(request, form, formsets, change)
        segment = form.instance
        transaction.on_commit(lambda: estimate_later(segment.pk))
        if segment.enabled and not segment.rules.exists():
            messages.warning(request, gettext(
                "“%(name)s” has no rules, so it matches nobody and campaigns aimed only at it "
                "show to nobody. Add a rule (for example “Logged in”) to define who is in it.")
                % {"name": segment.name})

    def get_inline_formsets(self, request: HttpRequest, formsets: list[Any],
                            inline_instances: list[Any], obj: Any = None) -> list[Any]:
        admin_formsets = super().get_inline_formsets(request, formsets, inline_instances, obj)
        for admin_formset in admin_formsets:
            if isinstance(admin_formset.formset, RuleFormSet):
                admin_formset.__class__ = RuleInlineAdminFormSet
        return admin_formsets

    @admin.action(description=_("Refresh the selected computed segments now"),
                  permissions=["change"])
    def refresh_now(self, request: HttpRequest, queryset: QuerySet[Segment]) -> None:
        from personalization.jobs.refresh import refresh_segment

        for segment in queryset.filter(kind=Segment.Kind.COMPUTED).order_by("name"):
            try:
                result = refresh_segment(segment.pk)
            except (ValueError, NotImplementedError) as exc:
                self.message_user(request, f"{segment}: {exc}", messages.ERROR)
                continue
            self.message_user(request, gettext(
                "%(segment)s: %(members)d members (%(entered)d entered, %(exited)d left).") % {
                    "segment": segment, "members": result.members,
                    "entered": result.entered, "exited": result.exited}, messages.SUCCESS)
            if result.warning:
                self.message_user(request, result.warning, messages.WARNING)
        if queryset.exclude(kind=Segment.Kind.COMPUTED).exists():
            self.message_user(request, gettext(
                "Live segments are evaluated on every request and need no refresh."),
                messages.INFO)

    @admin.display(description=_("rules"), ordering="rule_total")
    def rule_count(self, obj: Segment) -> str:
        if not obj.rule_total:
            return format_html('0 <strong class="pz-warning">{}</strong>',
                               gettext("matches nobody"))
        return str(obj.rule_total)

    @admin.display(description=_("segment, slug"), ordering="name")
    def name_and_slug(self, obj: Segment) -> str:
        return format_html('{}<br><span class="pz-quiet">{}</span>', obj.name, obj.slug)

    @admin.display(description=_("kind"), ordering="kind")
    def kind_and_match(self, obj: Segment) -> str:
        match = gettext("all rules") if obj.match == Segment.Match.ALL else gettext("any rule")
        return format_html('{}<br><span class="pz-quiet">{}</span>',
                           gettext("computed") if obj.kind == Segment.Kind.COMPUTED
                           else gettext("live"), match)

    @admin.display(description=_("reach now"))
    def reach_now(self, obj: Segment) -> str:
        return reach.describe(obj)

    @admin.display(description=_("segment size"), ordering="member_count")
    def size(self, obj: Segment) -> str:
        if obj.kind == Segment.Kind.LIVE:
            return format_html('{}<br><span class="pz-quiet">{}</span>', gettext("live"),
                               reach.describe(obj))
        if obj.member_count is None:
            return "–"
        refreshed = date_format(timezone.localtime(obj.last_refreshed_at),
                                "SHORT_DATETIME_FORMAT") if obj.last_refreshed_at else ""
        return format_html('{} <span class="pz-quiet">(+{} −{})</span><br>'
                           '<span class="pz-quiet">{}</span>', obj.member_count,
                           obj.entered_count, obj.exited_count, refreshed)

    @admin.display(description=_("used by campaigns"))
    def campaign_names(self, obj: Segment) -> str:
        campaigns = list(obj.campaigns.all())
        if not campaigns:
            return "–"
        return format_html_join(", ", "{}", ((c.name,) for c in campaigns))


@admin.register(SegmentMembership)
class SegmentMembershipAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Who is in the computed segments, as of their last refresh (read-only)."""

    list_display = ["segment", "user", "since"]
    list_filter = ["segment"]
    search_fields = ["segment__name", "segment__slug", "user__username", "user__email"]
    list_select_related = ["segment", "user"]
    date_hierarchy = "since"


__all__ = ["RuleInline", "SegmentAdmin", "SegmentMembershipAdmin", "rule_child_inlines"]
