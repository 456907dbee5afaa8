"""Admin for journeys: the journey with its messages per language (checked: fields that
exist, HTML that is safe), and the read-only message log."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from personalization.admin.permissions import admin_url, require
from personalization.html import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, FIELD_RE
from personalization.journeys.messages import FIELDS
from personalization.models import Journey, JourneyMessage, JourneyTemplate, Segment

_TAG = re.compile(r"<\s*/?\s*([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>")
_ATTR = re.compile(r"([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=")


def template_problems(text: str, *, html: bool) -> list[str]:
    """What is wrong with a journey text: fields that do not exist or are written wrong,
    and (for e-mail) HTML that is not allowed, e.g. scripts, styles or event handlers."""
    problems = []
    unknown = sorted({f for f in FIELD_RE.findall(text) if f not in FIELDS})
    if unknown:
        problems.append(_("Unknown field(s): %(names)s. Known: %(known)s.") % {
            "names": ", ".join(unknown), "known": ", ".join(FIELDS)})
    rest = FIELD_RE.sub("", text)
    if "{{" in rest or "}}" in rest or "{%" in rest:
        problems.append(_("A field is written {{ first_name }}; check the braces."))
    if html:
        bad_tags, bad_attrs = set(), set()
        for tag, attrs in _TAG.findall(text):
            tag = tag.lower()
            if tag not in ALLOWED_TAGS:
                bad_tags.add(tag)
            for attr in _ATTR.findall(attrs):
                if attr.lower() not in ALLOWED_ATTRIBUTES.get(tag, set()):
                    bad_attrs.add(attr.lower())
        if bad_tags:
            problems.append(_("Not allowed in a message: <%(tags)s>.") % {
                "tags": ">, <".join(sorted(bad_tags))})
        if bad_attrs:
            problems.append(_("Attributes not allowed: %(attrs)s.") % {
                "attrs": ", ".join(sorted(bad_attrs))})
        if re.search(r"(?i)(java|vb)script\s*:", text):
            problems.append(_("Links must be http, https, mailto or tel."))
    return problems


class JourneyTemplateForm(forms.ModelForm):
    class Meta:
        model = JourneyTemplate
        fields = ["language", "subject", "body"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        journey = self.instance.journey if self.instance.journey_id else None
        # An inline form sees the whole admin form: check for the channel being saved.
        channel = (self.data.get("channel")
                   or (journey.channel if journey else Journey.Channel.EMAIL))
        for name in ("subject", "body"):
            problems = template_problems(data.get(name) or "",
                                         html=name == "body" and channel == "email")
            if name == "subject" and _TAG.search(data.get(name) or ""):
                problems.append(_("A subject is plain text: no HTML."))
            if problems:
                self.add_error(name, problems)
        if channel == "email" and not (data.get("subject") or "").strip() \
                and not self.errors.get("subject"):
            self.add_error("subject", _("An e-mail needs a subject."))
        language = (data.get("language") or "").strip().lower()
        if language and not re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{2,8})?", language):
            self.add_error("language", _("A language code such as nl or nl-be, or empty."))
        data["language"] = language
        return data


class JourneyTemplateFormSet(forms.BaseInlineFormSet):
    """The messages of a journey: one of them for everybody (no language), so that a
    customer in a language without its own text never gets another language's."""

    def clean(self) -> None:
        super().clean()
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if kept and not any(not (f.cleaned_data.get("language") or "") for f in kept):
            raise forms.ValidationError(_(
                "Add a message without a language: it goes to every customer whose "
                "language has no message of its own."))


class JourneyTemplateInline(admin.StackedInline):
    model = JourneyTemplate
    form = JourneyTemplateForm
    formset = JourneyTemplateFormSet
    extra = 1
    min_num = 1


class JourneyForm(forms.ModelForm):
    class Meta:
        model = Journey
        fields = ["name", "enabled", "priority", "trigger", "hours", "lapsed_days",
                  "min_orders", "segment", "quiet_hours_start", "quiet_hours_end", "audience",
                  "channel", "discount_percent", "holdout_percent", "attribution_days"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        trigger = data.get("trigger")
        segment = data.get("segment")
        if trigger == Journey.Trigger.ENTERED_SEGMENT:
            if segment is None:
                self.add_error("segment", _("Choose the segment whose new members get it."))
            elif segment.kind != Segment.Kind.COMPUTED:
                self.add_error("segment", _("Only a computed segment has members to enter."))
        audience = data.get("audience")
        if audience is not None:
            live = [s.name for s in audience if s.kind != Segment.Kind.COMPUTED]
            if live:
                self.add_error("audience", _(
                    "Messages are sent outside a visit: only computed segments can be an "
                    "audience (%(names)s is live).") % {"names": ", ".join(live)})
        return data  # the quiet hours: Journey.clean(), shared with the rep SMS settings


@admin.register(Journey)
class JourneyAdmin(admin.ModelAdmin):
    class Media:
        css = {"all": ["personalization/admin/lists.css"]}

    form = JourneyForm
    inlines = [JourneyTemplateInline]
    list_display = ["name", "enabled", "trigger", "channel", "priority", "holdout_percent",
                    "sent", "held_out", "report"]
    list_filter = ["enabled", "trigger", "channel"]
    filter_horizontal = ["audience"]
    fieldsets = [
        (None, {"fields": ["name", "enabled", "priority"]}),
        (_("When"), {"fields": ["trigger", "hours", "lapsed_days", "min_orders", "segment",
                                ("quiet_hours_start", "quiet_hours_end")]}),
        (_("To whom, how"), {"fields": ["audience", "channel", "discount_percent"]}),
        (_("Measurement"), {"fields": ["holdout_percent", "attribution_days"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).annotate(
            n_sent=Count("messages", filter=Q(messages__status="sent")),
            n_held=Count("messages", filter=Q(messages__status="held_out")))

    def get_urls(self) -> list[Any]:
        return [admin_url("<int:object_id>/report/", self, self.report_view,
                          "personalization_journey_report", read="view"),
                *super().get_urls()]

    def report_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        from personalization.journeys.report import journey_report

        journey = get_object_or_404(Journey, pk=object_id)
        require(self, request, "view", journey)
        report = journey_report(journey)
        return TemplateResponse(request, "admin/personalization/journey_report.html", {
            **self.admin_site.each_context(request), "opts": Journey._meta,
            "journey": journey, "report": report,
            "arms": [report.messaged, report.held_out],
            "title": _("Report: %(name)s") % {"name": journey.name}})

    @admin.display(description=_("report"))
    def report(self, obj: Journey) -> str:
        return format_html('<a href="{}">{}</a>', reverse(
            "admin:personalization_journey_report", args=[obj.pk]), _("report"))

    @admin.display(description=_("sent"), ordering="n_sent")
    def sent(self, obj: Journey) -> int:
        return obj.n_sent

    @admin.display(description=_("held out"), ordering="n_held")
    def held_out(self, obj: Journey) -> int:
        return obj.n_held


@admin.register(JourneyMessage)
class JourneyMessageAdmin(admin.ModelAdmin):
    """The log: read only, and never deleted by hand (a row is what stops a second
    message for the same occurrence; erasure and retention remove them)."""

    class Media:
        css = {"all": ["personalization/admin/lists.css"]}

    list_display = ["created_at", "journey", "user", "channel", "status", "to", "sent_at"]
    list_filter = ["status", "journey", "channel"]
    search_fields = ["to", "user__username", "user__email", "subject"]
    raw_id_fields = ["user"]
    list_select_related = ["journey", "user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


__all__ = ["JourneyAdmin", "JourneyMessageAdmin", "template_problems"]
