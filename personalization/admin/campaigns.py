"""Slot and campaign admin: campaigns with their content variants inline."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from polymorphic.admin import PolymorphicInlineSupportMixin, StackedPolymorphicInline

from personalization.admin import reports
from personalization.admin.forms import (
    PolymorphicChildForm,
    SlotForm,
    VariantFormSet,
    other_languages,
    translated_form,
)
from personalization.admin.permissions import admin_url
from personalization.engine.request_facts import store_timezone
from personalization.engine.rulebook import invalidate
from personalization.jobs import reach
from personalization.measurement import planning
from personalization.measurement.experiments import LOCKED_WHILE_RUNNING, open_run, sync_run
from personalization.models import VARIANT_KINDS, Campaign, ContentVariant, Slot
from personalization.touchpoints import unknown_slots


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    form = SlotForm
    list_display = ["key", "name", "kind", "description", "live_campaigns"]
    list_filter = ["kind"]
    search_fields = ["key", "name", "description"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Slot]:
        return super().get_queryset(request).annotate(
            live_total=Count("campaigns", filter=Q(campaigns__status=Campaign.Status.LIVE)))

    @admin.display(description=_("live campaigns"), ordering="live_total")
    def live_campaigns(self, obj: Slot) -> int:
        return obj.live_total

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        """Staff who may view slots also see the keys templates used lately that no slot
        defines (they show their default content), with a link to create each."""
        if request.method == "GET":
            self._warn_of_unknown_slots(request)
        return super().changelist_view(request, extra_context)

    def _warn_of_unknown_slots(self, request: HttpRequest) -> None:
        known = set(Slot.objects.values_list("key", flat=True))
        unknown = unknown_slots.seen_unknown(known)
        if not unknown:
            return
        if self.has_add_permission(request):
            add = reverse("admin:personalization_slot_add")
            keys = format_html_join(", ", '<a href="{}?key={}&amp;name={}">{}</a>',
                                    ((add, key, key, key) for key, _when in unknown))
        else:
            keys = format_html_join(", ", "{}", ((key,) for key, _when in unknown))
        messages.warning(request, format_html(
            "{} {}", ngettext(
                "A template uses a slot that is not configured (it shows its default "
                "content); create it or correct the template:",
                "Templates use slots that are not configured (they show their default "
                "content); create them or correct the templates:", len(unknown)), keys))


class VariantChildInline(StackedPolymorphicInline.Child):
    """The form of one variant kind; one subclass per entry of ``VARIANT_KINDS``."""

    form = PolymorphicChildForm
    exclude = ("campaign",)

    def get_formset_child(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        """The variant's form, with its texts in the site's other languages."""
        languages = other_languages() if self.model.translatable else []
        if languages and may_edit_variants(request, obj):
            kwargs.setdefault("form", translated_form(self.model, self.form, languages))
        return super().get_formset_child(request, obj, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """A running experiment's weights are locked, like its holdout; staff who may only
        view the campaign see every field as text (django-polymorphic's inline shows the
        fields as inputs otherwise, though a post would be refused)."""
        if not may_edit_variants(request, obj):
            shown = [f.name for f in self.model._meta.fields if f.editable and not
                     f.auto_created and f.name not in ("campaign", "polymorphic_ctype")]
            if self.model.translatable and other_languages():
                shown.append("texts_in_other_languages")
            return shown
        fields = list(super().get_readonly_fields(request, obj))
        if isinstance(obj, Campaign) and open_run(obj) is not None:
            fields.append("weight")
        return fields

    @admin.display(description=_("Texts in other languages"))
    def texts_in_other_languages(self, variant: Any) -> str:
        """The variant's texts in the shop's other languages, for staff who may only view
        it (an editor gets a field for each)."""
        names = dict(other_languages())
        rows = [(f"{capfirst(self.model._meta.get_field(name).verbose_name)} "
                 f"({names.get(code, code)})", text)
                for code, texts in sorted((getattr(variant, "translations", None)
                                           or {}).items())
                for name, text in texts.items() if name in self.model.translatable and text]
        if not rows:
            return "–"
        return format_html_join("", "<p><strong>{}</strong>: {}</p>", rows)


def may_edit_variants(request: HttpRequest, campaign: Any) -> bool:
    """The variants are the campaign's content, not a model staff are given on its own:
    who may change the campaign (or add one) edits them, who may view it sees them.
    Django's default would ask for the variant model's own permissions, which no role
    grants."""
    action = "change" if campaign is not None else "add"
    return request.user.has_perm(f"personalization.{action}_campaign")


class VariantInline(StackedPolymorphicInline):
    """The campaign's content, one form per variant kind."""
    template = "admin/personalization/edit_inline/stacked.html"

    model = ContentVariant
    formset = VariantFormSet
    verbose_name = _("variant")
    verbose_name_plural = _("variants")

    # The campaign's permissions, not the variant model's (see may_edit_variants).
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (request.user.has_perm("personalization.view_campaign")
                or may_edit_variants(request, obj))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_edit_variants(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_edit_variants(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_edit_variants(request, obj)

    def get_child_inlines(self) -> list[type[VariantChildInline]]:
        return [type(f"{cls.__name__}Inline", (VariantChildInline,),
                     {"model": cls, "__module__": __name__})
                for cls in VARIANT_KINDS.values()]


def _weekdays_text(days: list[str]) -> str:
    """``["0", "1", "2", "3", "4"]`` → "Mon–Fri"; short runs are listed: "Sat, Sun"."""
    numbers = sorted({int(d) for d in days})
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{WEEKDAYS_ABBR[run[0]]}–{WEEKDAYS_ABBR[run[-1]]}")
        else:
            parts.extend(str(WEEKDAYS_ABBR[n]) for n in run)
    return ", ".join(parts)


def _day(value: datetime, now: datetime) -> str:
    value = timezone.localtime(value, store_timezone())
    # The locale's own formats: "M" would title-case the month ("1 Mei"), while Dutch (as
    # most languages but English) writes month names in lower case ("1 mei 2026").
    fmt = "MONTH_DAY_FORMAT" if value.year == now.year else "DATE_FORMAT"
    return date_format(value, fmt)


def schedule_text(campaign: Campaign, now: datetime | None = None) -> str:
    """The campaign's schedule in a few words: "1 Dec – 24 Dec, Mon–Fri 9–17h" or "always"."""
    now = timezone.localtime(now or timezone.now(), store_timezone())
    parts = []
    start, end = campaign.starts_at, campaign.ends_at
    if start and end:
        parts.append(f"{_day(start, now)} – {_day(end, now)}")
    elif start:
        parts.append(gettext("from %(day)s") % {"day": _day(start, now)})
    elif end:
        parts.append(gettext("until %(day)s") % {"day": _day(end, now)})
    window = []
    if campaign.weekdays:
        window.append(_weekdays_text(campaign.weekdays))
    if campaign.hour_start is not None and campaign.hour_end is not None:
        window.append(f"{campaign.hour_start}–{campaign.hour_end}h")
    if window:
        parts.append(" ".join(window))
    return ", ".join(parts) or gettext("always")


@admin.register(Campaign)
class CampaignAdmin(PolymorphicInlineSupportMixin, admin.ModelAdmin):
    inlines = [VariantInline]
    filter_horizontal = ["segments"]
    list_display = ["name_and_slot", "status", "priority", "audience_and_schedule",
                    "variant_count"]
    list_display_links = ["name_and_slot"]
    list_editable = ["status", "priority"]
    list_filter = ["status", "slot", "slot__kind"]
    search_fields = ["name", "slot__key", "slot__name"]
    list_select_related = ["slot"]
    actions = ["make_live", "pause", "archive"]
    fieldsets = [
        (None, {"fields": ["name", "slot", "status", "priority", "segments",
                           "audience_reach"]}),
        (_("Schedule"), {
            "fields": ["starts_at", "ends_at", "weekdays", ("hour_start", "hour_end")],
            "description": _("Times are in the store's time zone. Leave everything empty to "
                             "run whenever the campaign is live.")}),
        (_("Experiment"), {
            "fields": [("holdout_percent", "control_weight"), ("decision_metric", "goal_event"),
                       "analysis", ("minimum_effect_percent", "power_percent"),
                       "planned_visitors", "plan"],
            "description": _("A live campaign with a holdout or several variants is an "
                             "experiment. Choose what its verdict is about and how it is "
                             "judged before it goes live: a running experiment locks these.")}),
        (_("Limits and cost"), {
            "fields": [("cap_impressions", "cap_period_hours"), "popup_on_checkout",
                       "waffle_flag", "cost"]}),
        (_("Allocation"), {
            "fields": ["allocation", "bandit_per_segment", "bandit_frozen"],
            "description": _("A bandit optimises the decision metric: see its report for "
                             "its weights and why they moved. Changing the allocation "
                             "starts a new run.")}),
    ]

    def get_urls(self) -> list[Any]:
        # Reading a report needs "view"; its buttons (refresh the figures, promote) "change".
        return [
            admin_url("<int:object_id>/report/", self, partial(reports.campaign_report_view,
                                                               self),
                      "personalization_campaign_report", read="view", act="change"),
            admin_url("program/", self, partial(reports.program_report_view, self),
                      "personalization_campaign_program", read="view", act="change"),
            admin_url("kpis/", self, partial(reports.kpi_view, self),
                      "personalization_campaign_kpis", read="view", act="change"),
            *super().get_urls(),
        ]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest,
                                 **kwargs: Any) -> Any:
        """The audience picker says what it does; Django's "Hold down Control" help is
        for a plain multiple select, not the two-box picker shown here."""
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None:
            field.help_text = db_field.help_text
        return field

    @admin.display(description=_("reach of the audience now"))
    def audience_reach(self, obj: Campaign | None) -> str:
        """Each audience segment's reach (known customers it matches now, estimated in the
        background), so the merchant sees who a campaign would reach before it goes live."""
        segments = list(obj.segments.all()) if obj is not None and obj.pk else []
        if not segments:
            return gettext("Everybody: every visitor, and all known customers. (Save with an "
                           "audience to see its reach.)") if obj is None or not obj.pk \
                else gettext("Everybody: every visitor, and all known customers.")
        return format_html_join(mark_safe("<br>"), "{}: {}", (
            (s.name, reach.describe(s)) for s in segments))

    def get_readonly_fields(self, request: HttpRequest, obj: Campaign | None = None) -> Any:
        """While a run of the experiment goes on its split is locked: pause the campaign
        to change it; the next run starts with the new split when it is live again."""
        fields = [*super().get_readonly_fields(request, obj), "audience_reach", "plan"]
        if obj is not None and open_run(obj) is not None:
            fields.extend(LOCKED_WHILE_RUNNING)
        return fields

    @admin.display(description=_("plan"))
    def plan(self, obj: Campaign | None) -> str:
        """How many visitors and days the experiment needs, from the slot's recent traffic
        and baseline, at the minimum effect and power given (saved values)."""
        if obj is None or not obj.pk:
            return gettext("Save the campaign with its variants to see how long an "
                           "experiment would take.")
        return planning.describe(planning.plan_for(obj))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Campaign]:
        return (super().get_queryset(request)
                .annotate(variant_total=Count("variants", distinct=True))
                .prefetch_related("segments"))

    class Media:
        css = {"all": ["personalization/admin/lists.css"]}

    # -- list columns ---------------------------------------------------------------------
    @admin.display(description=_("campaign, slot"), ordering="name")
    def name_and_slot(self, obj: Campaign) -> str:
        return format_html('{}<br><span class="pz-quiet">{}</span>', obj.name, obj.slot.name)

    @admin.display(description=_("audience, when"))
    def audience_and_schedule(self, obj: Campaign) -> str:
        return format_html("{}<br><span class=\"pz-quiet\">{}</span>", self.audience(obj),
                           schedule_text(obj))

    def audience(self, obj: Campaign) -> str:
        names = [s.name for s in obj.segments.all()]
        return ", ".join(names) if names else gettext("everybody")

    @admin.display(description=_("variants"), ordering="variant_total")
    def variant_count(self, obj: Campaign) -> str:
        """How many variants, the holdout, and the link to the campaign's report."""
        count = (gettext("%(n)s + %(p)s%% holdout") % {"n": obj.variant_total,
                                                       "p": obj.holdout_percent}
                 if obj.holdout_percent else str(obj.variant_total))
        return format_html("{}<br>{}", count, reports.report_link(obj))

    # -- saving ---------------------------------------------------------------------------
    def save_related(self, request: HttpRequest, form: Any, formsets: Any,
                     change: bool) -> None:
        super().save_related(request, form, formsets, change)
        campaign = form.instance
        if campaign.status == Campaign.Status.LIVE and not campaign.variants.exists():
            messages.warning(request, gettext(
                "“%(name)s” is live but has no variants: its slot keeps showing the default "
                "content until you add one.") % {"name": campaign.name})

    # -- actions --------------------------------------------------------------------------
    def _set_status(self, request: HttpRequest, queryset: QuerySet[Campaign],
                    status: str) -> int:
        campaigns = list(queryset)
        count = queryset.update(status=status)
        # update() sends no signals: make every process reload its RuleBook, and start or
        # end the campaigns' experiment runs.
        transaction.on_commit(invalidate)
        for campaign in campaigns:
            transaction.on_commit(lambda c=campaign: sync_run(c))
        return count

    @admin.action(description=_("Make the selected campaigns live"), permissions=["change"])
    def make_live(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        empty = [c.name for c in queryset.annotate(n=Count("variants")).filter(n=0)]
        count = self._set_status(request, queryset, Campaign.Status.LIVE)
        self.message_user(request, ngettext("%(n)d campaign is live now.",
                                            "%(n)d campaigns are live now.", count)
                          % {"n": count}, messages.SUCCESS)
        if empty:
            self.message_user(request, gettext(
                "These campaigns have no variants and show the default content: %(names)s")
                % {"names": ", ".join(empty)}, messages.WARNING)

    @admin.action(description=_("Pause the selected campaigns"), permissions=["change"])
    def pause(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        count = self._set_status(request, queryset, Campaign.Status.PAUSED)
        self.message_user(request, ngettext("%(n)d campaign paused.",
                                            "%(n)d campaigns paused.", count) % {"n": count},
                          messages.SUCCESS)

    @admin.action(description=_("Archive the selected campaigns"), permissions=["change"])
    def archive(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        count = self._set_status(request, queryset, Campaign.Status.ARCHIVED)
        self.message_user(request, ngettext("%(n)d campaign archived.",
                                            "%(n)d campaigns archived.", count) % {"n": count},
                          messages.SUCCESS)
