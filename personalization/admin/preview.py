"""Admin form that makes a signed preview link: a page as a segment or a customer sees it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from personalization.conf import app_settings
from personalization.models import Campaign, ContentVariant, Segment
from personalization.rules.request import DEVICE_CHOICES
from personalization.touchpoints import preview


class PreviewForm(forms.Form):
    """Pick a segment or a customer, and the page to open."""

    segment = forms.ModelChoiceField(
        Segment.objects.order_by("name"), to_field_name="slug", required=False,
        label=_("Segment"),
        help_text=_("Show the page to a visitor who is in this segment (and in no other)."))
    customer = forms.CharField(
        required=False, label=_("Customer"), max_length=254,
        help_text=_("Or show the page as this customer sees it: username or e-mail address."))
    path = forms.CharField(
        label=_("Page"), initial="/", max_length=2000,
        help_text=_("The page of the shop to open, e.g. / or /c/cat-food/?sort=price."))
    arm = forms.ChoiceField(
        required=False, label=_("Variant"),
        help_text=_("Show this variant of its campaign, or every campaign's control (the "
                    "default content), instead of the one the visitor is bucketed into."))
    country = forms.CharField(
        required=False, label=_("Country"), max_length=2,
        help_text=_("Two-letter country code the visitor comes from, e.g. NL. Empty: yours."))
    device = forms.ChoiceField(
        required=False, label=_("Device"), choices=[("", _("Yours")), *DEVICE_CHOICES])
    language = forms.ChoiceField(
        required=False, label=_("Language"),
        help_text=_("The language the whole page is shown in, as the visitor reads it "
                    "(rules on the language and the variants' texts follow it). Empty: "
                    "yours."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        variants = (ContentVariant.objects.filter(campaign__status=Campaign.Status.LIVE)
                    .select_related("campaign").order_by("campaign__name", "pk"))
        self.fields["language"].choices = [("", _("Yours")), *settings.LANGUAGES]
        self.fields["arm"].choices = [
            ("", _("As the visitor is bucketed")),
            ("control", _("Control: the default content")),
            *((str(v.pk), f"{v.campaign.name}: {v.name}") for v in variants)]

    def clean_country(self) -> str:
        country = self.cleaned_data["country"].strip().upper()
        if country and not (len(country) == 2 and country.isalpha()):
            raise ValidationError(gettext("Enter a two-letter country code, e.g. NL."))
        return country

    def clean_customer(self) -> Any:
        value = self.cleaned_data["customer"].strip()
        if not value:
            return None
        user_model = get_user_model()
        field = user_model.USERNAME_FIELD
        users = list(user_model._default_manager.filter(
            Q(**{field: value}) | Q(email__iexact=value))[:2])
        if len(users) != 1:
            raise ValidationError(gettext("No single customer has this username or e-mail "
                                          "address."))
        return users[0]

    def clean_path(self) -> str:
        path = self.cleaned_data["path"].strip()
        if not path.startswith("/") or not url_has_allowed_host_and_scheme(path, None):
            raise ValidationError(gettext("Enter a page of this site, starting with /."))
        return path

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if bool(data.get("segment")) == bool(data.get("customer")):
            raise ValidationError(gettext("Choose either a segment or a customer."))
        return data

    def target(self) -> preview.Target:
        data = self.cleaned_data
        extra = {"arm": data["arm"], "country": data["country"], "device": data["device"],
                 "language": data["language"]}
        if data["customer"] is not None:
            return preview.Target(user_id=data["customer"].pk, **extra)
        return preview.Target(segment=data["segment"].slug, **extra)


def preview_view(request: HttpRequest, model_admin: admin.ModelAdmin) -> HttpResponse:
    """GET ``?segment=slug`` or ``?user=id`` prefills the form; with ``path`` it makes the link.
    Its URL needs the permission to view segments; previewing a customer also needs
    ``preview_as_customer``."""
    if "path" in request.GET:
        form = PreviewForm(request.GET)
    else:
        initial: dict[str, Any] = {"segment": request.GET.get("segment"), "path": "/"}
        user_id = request.GET.get("user", "")
        if user_id.isdigit():
            user = get_user_model()._default_manager.filter(pk=user_id).first()
            initial["customer"] = user.get_username() if user is not None else ""
        form = PreviewForm(initial=initial)
    link = None
    if form.is_bound and form.is_valid():
        target = form.target()
        if preview.may_preview(request.user, target):
            link = request.build_absolute_uri(
                preview.preview_url(form.cleaned_data["path"], target))
        else:
            form.add_error("customer", gettext(
                "You may not preview the shop as a customer: that needs the permission "
                "“Can preview the shop as a customer”."))
    context = {
        **model_admin.admin_site.each_context(request),
        "title": gettext("Preview as a segment or customer"),
        "opts": model_admin.opts,
        "form": form,
        "link": link,
        "max_age_minutes": app_settings.PREVIEW_MAX_AGE // 60,
    }
    return TemplateResponse(request, "admin/personalization/preview.html", context)
