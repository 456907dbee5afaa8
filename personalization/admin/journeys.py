"""Admin for journeys: the journey with its message in each of the site's languages
(checked: fields that exist, HTML that is safe), run now, a test message to oneself, and
the read-only message log."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from personalization.admin.forms import other_languages, translated_form
from personalization.admin.permissions import admin_url, require
from personalization.admin.readonly import ReadOnlyMixin
from personalization.html import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, FIELD_RE
from personalization.journeys.messages import FIELDS
from personalization.messaging import delivery
from personalization.models import Journey, JourneyMessage, Segment

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


def text_problems(subject: str, body: str, *, channel: str) -> dict[str, list[str]]:
    """What is wrong with a journey's subject and text in one language, per field."""
    problems = {"subject": template_problems(subject, html=False),
                "body": template_problems(body, html=channel == Journey.Channel.EMAIL)}
    if _TAG.search(subject):
        problems["subject"].append(_("A subject is plain text: no HTML."))
    if channel == Journey.Channel.EMAIL and body.strip() and not subject.strip() \
            and not problems["subject"]:
        problems["subject"].append(_("An e-mail needs a subject."))
    return {name: found for name, found in problems.items() if found}


def computed_segments() -> QuerySet[Segment]:
    """The segments a journey can use: a message goes out with no visit to judge a live
    segment's rules on, so only computed ones (their members are stored)."""
    return Segment.objects.filter(kind=Segment.Kind.COMPUTED).order_by("name")


class JourneyForm(forms.ModelForm):
    class Meta:
        model = Journey
        fields = ["name", "enabled", "priority", "trigger", "hours", "lapsed_days",
                  "min_orders", "segment", "quiet_hours_start", "quiet_hours_end", "audience",
                  "channel", "discount_percent", "holdout_percent", "attribution_days",
                  "subject", "body"]

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
        channel = data.get("channel") or Journey.Channel.EMAIL
        # The texts in the site's language, then those per other language (the fields the
        # admin adds as for content variants: "Text (Nederlands)").
        for suffix in ["", *(f"__{code}" for code, _name in other_languages())]:
            subject = (data.get(f"subject{suffix}") or "").strip()
            body = (data.get(f"body{suffix}") or "").strip()
            if suffix and subject and not body:
                self.add_error(f"body{suffix}", _("Give the text too, or no subject."))
            for name, problems in text_problems(subject, body, channel=channel).items():
                if f"{name}{suffix}" in self.fields:
                    self.add_error(f"{name}{suffix}", problems)
        return data  # the quiet hours: Journey.clean(), shared with the rep SMS settings


def journey_form() -> type[forms.ModelForm]:
    """The journey's form, with its subject and text in each of the site's other languages
    (stored in ``translations``, as a content variant's texts)."""
    if not other_languages():
        return JourneyForm
    form = translated_form(Journey, JourneyForm, other_languages())
    for code, language in other_languages():
        for name in Journey.translatable:
            form.base_fields[f"{name}__{code}"].help_text = _(
                "Sent to customers who write %(language)s; empty: the message above, in "
                "its language.") % {"language": language}
    return form


class TestMessageForm(forms.Form):
    language = forms.ChoiceField(label=_("language"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [(code, str(name))
                                           for code, name in settings.LANGUAGES]
        self.fields["language"].initial = translation.get_language()


@admin.register(Journey)
class JourneyAdmin(admin.ModelAdmin):
    class Media:
        css = {"all": ["personalization/admin/lists.css"]}

    form = JourneyForm
    change_form_template = "admin/personalization/journey/change_form.html"
    # Fits a 1280 px window with the sidebar and the filter open (tests/browser/test_journeys).
    list_display = ["name", "state", "trigger_and_channel", "priority", "holdout_percent",
                    "messages_sent", "report"]
    list_filter = ["enabled", "trigger", "channel"]
    filter_horizontal = ["audience"]
    actions = ["run_now"]
    fieldsets = [
        (None, {"fields": ["name", "enabled", "priority"]}),
        (_("When"), {"fields": ["trigger", "hours", "lapsed_days", "min_orders", "segment",
                                ("quiet_hours_start", "quiet_hours_end")]}),
        (_("To whom, how"), {"fields": ["audience", "channel", "discount_percent"]}),
        (_("Message"), {"fields": ["subject", "body"]}),
        (_("Measurement"), {"fields": ["holdout_percent", "attribution_days"]}),
    ]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False,
                 **kwargs: Any) -> Any:
        kwargs["form"] = journey_form()
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        extra = [f"{name}__{code}" for code, _name in other_languages()
                 for name in Journey.translatable]
        return [(title, {"fields": [*options["fields"], *extra]} if title == _("Message")
                 else options) for title, options in self.fieldsets]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest,
                                 **kwargs: Any) -> Any:
        if db_field.name == "segment":
            kwargs["queryset"] = computed_segments()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest,
                                 **kwargs: Any) -> Any:
        if db_field.name == "audience":
            kwargs["queryset"] = computed_segments()
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).annotate(
            n_sent=Count("messages", filter=Q(messages__status="sent")),
            n_held=Count("messages", filter=Q(messages__status="held_out")))

    def save_model(self, request: HttpRequest, obj: Journey, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not obj.enabled:
            self.message_user(request, gettext(
                "“%(name)s” is disabled: it sends nothing until you tick “enabled” and "
                "save it again.") % {"name": obj.name}, messages.WARNING)
        missing = [str(name) for code, name in other_languages()
                   if not (obj.translations or {}).get(code)]
        if missing:
            self.message_user(request, gettext(
                "Customers who write %(languages)s get the message in %(default)s: give "
                "its %(languages)s text to write to them in their language.") % {
                    "languages": ", ".join(missing),
                    "default": dict(settings.LANGUAGES).get(settings.LANGUAGE_CODE,
                                                            settings.LANGUAGE_CODE)},
                messages.INFO)

    def get_urls(self) -> list[Any]:
        return [admin_url("<int:object_id>/report/", self, self.report_view,
                          "personalization_journey_report", read="view"),
                admin_url("<int:object_id>/run/", self, self.run_view,
                          "personalization_journey_run", read="change", act="change"),
                admin_url("<int:object_id>/test/", self, self.test_view,
                          "personalization_journey_test", read="change", act="change"),
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

    @admin.action(description=_("Run the selected journeys now"), permissions=["change"])
    def run_now(self, request: HttpRequest, queryset: QuerySet[Journey]) -> None:
        self._run(request, queryset)

    def _run(self, request: HttpRequest, queryset: QuerySet[Journey]) -> None:
        """What the beat task does for these journeys, now: find who is due and hand each
        message to a worker (sent right here when Celery runs eagerly)."""
        from personalization.journeys.scan import scan

        disabled = [j.name for j in queryset.filter(enabled=False).order_by("name")]
        if disabled:
            self.message_user(request, gettext(
                "Disabled, so not run: %(names)s. Enable a journey to send its messages.")
                % {"names": ", ".join(disabled)}, messages.WARNING)
        enabled = queryset.filter(enabled=True)
        if not enabled.exists():
            return
        result = scan(journeys=enabled)
        for name, queued in result.queued.items():
            self.message_user(request, ngettext(
                "%(journey)s: %(n)d message due, handed over for sending",
                "%(journey)s: %(n)d messages due, handed over for sending", queued)
                % {"journey": name, "n": queued} + ngettext(
                "; %(n)d customer held out.", "; %(n)d customers held out.",
                result.held_out[name]) % {"n": result.held_out[name]}, messages.SUCCESS)
        if result.queued and not sum(result.queued.values()):
            self.message_user(request, gettext(
                "Nobody is due now: see “manage.py explain --user …” for why a customer "
                "gets no message."), messages.INFO)

    def run_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        journey = get_object_or_404(Journey, pk=object_id)
        if not self.has_change_permission(request, journey):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        self._run(request, Journey.objects.filter(pk=journey.pk))
        return redirect("admin:personalization_journey_change", journey.pk)

    def test_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Send the journey's message to the staff member himself, in the language he
        picks, with sample data: marked as a test, counted nowhere, no consent asked."""
        from personalization.journeys.messages import NoAddress, send_test

        journey = get_object_or_404(Journey, pk=object_id)
        if not self.has_change_permission(request, journey):
            raise PermissionDenied
        form = TestMessageForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                to = send_test(journey, request.user, form.cleaned_data["language"])
            except NoAddress as exc:
                self.message_user(request, str(exc), messages.ERROR)
            except delivery.SendError as exc:
                self.message_user(request, gettext("The test message was not sent: %(error)s")
                                  % {"error": exc}, messages.ERROR)
            else:
                self.message_user(request, gettext(
                    "A test message went to %(to)s (not counted in the report).")
                    % {"to": to}, messages.SUCCESS)
                return redirect("admin:personalization_journey_change", journey.pk)
        return TemplateResponse(request, "admin/personalization/journey/test_message.html", {
            **self.admin_site.each_context(request), "opts": Journey._meta,
            "original": journey, "form": form,
            "title": _("Send a test of “%(name)s” to yourself") % {"name": journey.name}})

    def render_change_form(self, request: HttpRequest, context: dict[str, Any], add: bool = False,
                           change: bool = False, form_url: str = "", obj: Any = None) -> Any:
        context["can_run"] = obj is not None and self.has_change_permission(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.display(description=_("state"), ordering="enabled")
    def state(self, obj: Journey) -> str:
        if obj.enabled:
            return format_html('<img src="{}" alt=""> {}', static("admin/img/icon-yes.svg"),
                               gettext("enabled"))
        return format_html('<img src="{}" alt=""> <strong class="pz-warning">{}</strong>',
                           static("admin/img/icon-no.svg"), gettext("disabled"))

    @admin.display(description=_("trigger, channel"), ordering="trigger")
    def trigger_and_channel(self, obj: Journey) -> str:
        return format_html('{}<br><span class="pz-quiet">{}</span>',
                           Journey.Trigger(obj.trigger).label,
                           Journey.Channel(obj.channel).label)

    @admin.display(description=_("messages"), ordering="n_sent")
    def messages_sent(self, obj: Journey) -> str:
        return format_html('{}<br><span class="pz-quiet">{}</span>',
                           ngettext("%(n)d sent", "%(n)d sent", obj.n_sent) % {"n": obj.n_sent},
                           ngettext("%(n)d held out", "%(n)d held out", obj.n_held)
                           % {"n": obj.n_held})

    @admin.display(description=_("report"))
    def report(self, obj: Journey) -> str:
        return format_html('<a href="{}">{}</a>', reverse(
            "admin:personalization_journey_report", args=[obj.pk]), _("report"))



@admin.register(JourneyMessage)
class JourneyMessageAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The log: read only, and never deleted by hand (a row is what stops a second
    message for the same occurrence; erasure and retention remove them)."""

    class Media:
        css = {"all": ["personalization/admin/lists.css"]}

    list_display = ["created_at", "journey", "user", "channel", "status", "to", "sent_at"]
    list_filter = ["status", "journey", "channel"]
    search_fields = ["to", "user__username", "user__email", "subject"]
    raw_id_fields = ["user"]
    list_select_related = ["journey", "user"]
    fields = ["journey", "user", "occurrence_text", "control", "channel", "to", "subject",
              "body", "text", "code", "status", "attempts", "provider_message_id",
              "last_error", "send_after", "claimed_at", "sent_at", "created_at"]
    readonly_fields = ["occurrence_text"]

    @admin.display(description=_("occurrence"))
    def occurrence_text(self, obj: JourneyMessage) -> str:
        """"no order since 1 Jul 2026", not "lapsed:1785342600"."""
        from personalization.journeys.scan import describe_occurrence

        return describe_occurrence(obj.occurrence)


__all__ = ["JourneyAdmin", "JourneyMessageAdmin", "template_problems"]
