"""Picking the shop's products and categories by name: the form field and widget of
``fields.CatalogIdsField``, Django admin's own autocomplete (select2, shipped with Django)
fed by the commerce adapter through the admin's JSON view (``admin/catalog.py``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from personalization.adapters import get_adapter
from personalization.conf import app_settings


def _ids(values: Any) -> list[str]:
    """Submitted ids: several values, or one comma-separated text (older forms, tests)."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for value in values:
        out.extend(v.strip() for v in str(value).split(",") if v.strip())
    return out


class CatalogAutocomplete(forms.SelectMultiple):
    """A multiple select that searches the shop's catalogue as the merchant types; the
    chosen products or categories are shown by name."""

    def __init__(self, kind: str, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.kind = kind

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str]:
        getter = getattr(data, "getlist", None)
        return _ids(getter(name) if getter else data.get(name))

    def format_value(self, value: Any) -> list[str]:
        return _ids(value)

    def optgroups(self, name: str, value: Any, attrs: dict[str, Any] | None = None) -> Any:
        chosen = [v for v in _ids(value) if v.isdigit()]
        names = get_adapter().catalog_names(self.kind, [int(v) for v in chosen])
        options = [self.create_option(name, v, names.get(int(v), f"#{v}"), True, i)
                   for i, v in enumerate(chosen)]
        return [(None, options, 0)]

    def build_attrs(self, base_attrs: dict[str, Any],
                    extra_attrs: dict[str, Any] | None = None) -> dict[str, Any]:
        attrs = super().build_attrs(base_attrs, extra_attrs)
        attrs.setdefault("class", "")
        attrs.update({
            "class": (attrs["class"] + " admin-autocomplete").strip(),
            "data-ajax--cache": "true", "data-ajax--delay": 250, "data-ajax--type": "GET",
            "data-ajax--url": reverse("admin:personalization_catalog_lookup")
            + f"?kind={self.kind}",
            "data-app-label": "personalization", "data-model-name": self.kind,
            "data-field-name": self.kind, "data-theme": "admin-autocomplete",
            "data-allow-clear": "false", "data-placeholder": "",
            "lang": (get_language() or "en").split("-")[0],
        })
        return attrs

    @property
    def media(self) -> forms.Media:
        extra = "" if settings.DEBUG else ".min"
        return forms.Media(
            js=(f"admin/js/vendor/jquery/jquery{extra}.js",
                f"admin/js/vendor/select2/select2.full{extra}.js",
                "admin/js/jquery.init.js", "admin/js/autocomplete.js"),
            css={"screen": ("admin/css/vendor/select2/select2.min.css",
                            "admin/css/autocomplete.css")})


class CatalogFormField(forms.Field):
    """A list of product or category ids (as text, as the model stores them)."""

    def __init__(self, *, kind: str, max_items: int | None = None, **kwargs: Any) -> None:
        self.kind = kind
        self.max_items = max_items
        kwargs.setdefault("widget", CatalogAutocomplete(kind))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[str]:
        return _ids(value)

    def validate(self, value: list[str]) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")
        bad = [v for v in value if not v.isdigit()]
        if bad:
            raise ValidationError(_("Not an id: %(values)s."), code="invalid",
                                  params={"values": ", ".join(bad)})
        limit = self.max_items or app_settings.RULE_LIST_MAX_ITEMS
        if len(value) > limit:
            raise ValidationError(
                _("At most %(max)s values are allowed; you entered %(n)s."),
                params={"max": limit, "n": len(value)}, code="max_items")
