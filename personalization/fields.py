"""Model and form fields shared by rules and campaigns."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.formats import number_format
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

#: Weekdays as stored in lists of weekdays (Monday is "0", as in ``date.weekday()``).
WEEKDAY_CHOICES = [
    ("0", _("Monday")), ("1", _("Tuesday")), ("2", _("Wednesday")), ("3", _("Thursday")),
    ("4", _("Friday")), ("5", _("Saturday")), ("6", _("Sunday")),
]


def _split(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [str(v).strip() for v in value]
    else:
        items = [v.strip() for v in re.split(r"[,\n;]", str(value))]
    return [v for v in items if v]


class ListFormField(forms.Field):
    """A comma-separated list in a text box, or checkboxes when there are choices."""

    def __init__(self, *, choices: Any = None, item_validator: Any = None,
                 max_items: int | None = None, **kwargs: Any) -> None:
        self.item_validator = item_validator
        self.max_items = max_items
        self.list_choices = list(choices) if choices else None
        if self.list_choices:
            kwargs["widget"] = forms.CheckboxSelectMultiple(choices=self.list_choices)
        kwargs.setdefault("widget", forms.TextInput(attrs={"size": 60}))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if self.list_choices:
            return _split(value)
        return ", ".join(_split(value))

    def to_python(self, value: Any) -> list[str]:
        return _split(value)

    def validate(self, value: list[str]) -> None:
        if self.required and not value:
            raise ValidationError(_("Enter at least one value."), code="required")
        if self.max_items is not None and len(value) > self.max_items:
            raise ValidationError(
                _("At most %(max)s values are allowed; you entered %(n)s."),
                params={"max": self.max_items, "n": len(value)},
                code="max_items",
            )
        if self.list_choices:
            valid = {str(k) for k, _label in self.list_choices}
            bad = [v for v in value if v not in valid]
            if bad:
                raise ValidationError(_("Unknown choice: %(v)s"), params={"v": ", ".join(bad)})
        if self.item_validator:
            for item in value:
                self.item_validator(item)


class ListField(models.TextField):
    """A list of short strings stored as one comma-separated text column.

    Readable in the database, editable as a text box (or checkboxes when ``choices`` are
    given), and a plain ``list[str]`` in Python.
    """

    def __init__(self, *args: Any, item_choices: Any = None, item_validator: Any = None,
                 max_items: int | None = None, **kwargs: Any) -> None:
        self.item_choices = item_choices
        self.item_validator = item_validator
        self.max_items = max_items
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("default") == "":
            del kwargs["default"]
        return name, path, args, kwargs

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> list[str]:
        return _split(value)

    def to_python(self, value: Any) -> list[str]:
        return _split(value)

    def get_prep_value(self, value: Any) -> str:
        return ",".join(_split(value))

    def value_to_string(self, obj: Any) -> str:
        return self.get_prep_value(self.value_from_object(obj))

    def validate(self, value: Any, model_instance: Any) -> None:
        """The same checks as the form field, so ``full_clean()`` (admin, API, imports)
        rejects what the form would: empty required lists, bad items, too many items."""
        from personalization.conf import app_settings

        items = _split(value)
        if not self.blank and not items:
            raise ValidationError(self.error_messages["blank"], code="blank")
        limit = self.max_items or app_settings.RULE_LIST_MAX_ITEMS
        if len(items) > limit:
            raise ValidationError(
                _("At most %(max)s values are allowed; you entered %(n)s."),
                params={"max": limit, "n": len(items)}, code="max_items")
        if self.item_validator:
            for item in items:
                self.item_validator(item)

    def formfield(self, **kwargs: Any) -> forms.Field:
        from personalization.conf import app_settings

        max_items = self.max_items or app_settings.RULE_LIST_MAX_ITEMS
        choices = self.item_choices() if callable(self.item_choices) else self.item_choices
        return ListFormField(
            required=not self.blank,
            label=kwargs.get("label") or self.verbose_name.capitalize(),
            help_text=self.help_text,
            choices=choices,
            item_validator=self.item_validator,
            max_items=max_items,
        )


def validate_regex(value: str) -> None:
    """A merchant's regular expression: bounded in length and compilable."""
    from personalization.conf import app_settings

    limit = app_settings.REGEX_MAX_LENGTH
    if len(value) > limit:
        raise ValidationError(
            _("The pattern is too long (%(n)s characters; at most %(max)s)."),
            params={"n": len(value), "max": limit},
        )
    try:
        re.compile(value)
    except re.error as exc:
        raise ValidationError(
            _("This is not a valid regular expression: %(error)s"), params={"error": exc}
        ) from exc


def validate_int_item(value: str) -> None:
    if not value.isdigit():
        raise ValidationError(_("%(v)s is not a number (an id)."), params={"v": value})


def validate_country_code(value: str) -> None:
    if not re.fullmatch(r"[A-Za-z]{2}", value):
        raise ValidationError(
            _("%(v)s is not a two-letter country code such as NL or DE."), params={"v": value}
        )


def validate_language_code(value: str) -> None:
    if not re.fullmatch(r"[a-z]{2,3}(-[a-zA-Z0-9]{2,8})?", value):
        raise ValidationError(
            _("%(v)s is not a language code such as en, nl or pt-BR."), params={"v": value}
        )


def validate_slug_item(value: str) -> None:
    if not re.fullmatch(r"[-a-zA-Z0-9_]+", value):
        raise ValidationError(_("%(v)s may contain only letters, digits, - and _."),
                              params={"v": value})


def _currency() -> str:
    from personalization.conf import app_settings

    return str(app_settings.CURRENCY)


#: The shop's currency, read when shown (``PERSONALIZATION["CURRENCY"]``).
currency = lazy(_currency, str)


class MoneyField(models.DecimalField):
    """An amount of money in the shop's currency: never negative, two decimals, the
    currency named next to the field in the admin."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        validators = list(kwargs.pop("validators", []))
        if not any(isinstance(v, MinValueValidator) for v in validators):
            validators.append(MinValueValidator(Decimal("0")))
        kwargs["validators"] = validators
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs: Any) -> Any:
        field = super().formfield(**kwargs)
        field.widget.attrs.update({"min": "0", "step": "0.01"})
        field.help_text = format_lazy("{} {}", format_lazy(_("Amount in {}."), currency()),
                                      self.help_text or "")
        return field


_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF ", "SEK": "SEK ",
            "DKK": "DKK ", "NOK": "NOK ", "PLN": "PLN "}


def currency_symbol() -> str:
    """What goes in front of an amount: "€" for EUR, else the code and a space."""
    code = _currency()
    return _SYMBOLS.get(code, f"{code} ")


def format_money(value: Any, *, thousands: bool = False, localize: bool = False) -> str:
    """``value`` in the shop's currency with two decimals, e.g. "€1234.50" (a minus sign in
    front of the symbol for negative amounts). ``localize``: as the active language writes
    amounts, its decimal mark, thousands separator and the symbol's place: "€12.95" in
    English, "€ 12,95" in Dutch (what a customer or a merchant reads: journey e-mails, the
    admin's reports)."""
    amount = Decimal(str(value))
    sign = "−" if amount < 0 else ""
    if not localize:
        number = f"{abs(amount):,.2f}" if thousands else f"{abs(amount):.2f}"
        return f"{sign}{currency_symbol()}{number}"
    number = number_format(abs(amount), 2, use_l10n=True, force_grouping=thousands)
    # Translators: an amount of money; put a no-break space between them if your
    # language does (Dutch: "€ 12,95").
    shown = gettext("%(symbol)s%(amount)s") % {"symbol": currency_symbol(), "amount": number}
    return sign + re.sub(r"(\s)\s+", r"\1", shown)  # "CHF " and a translation's own space


class CatalogIdsField(ListField):
    """Ids of the shop's products or categories (``kind``), picked by name in the admin
    when the commerce adapter can look them up; ids that do not exist are refused."""

    def __init__(self, *args: Any, kind: str = "product", **kwargs: Any) -> None:
        self.kind = kind
        kwargs.setdefault("item_validator", validate_int_item)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["kind"] = self.kind
        return name, path, args, kwargs

    def validate(self, value: Any, model_instance: Any) -> None:
        super().validate(value, model_instance)
        from personalization.adapters import get_adapter

        adapter = get_adapter()
        ids = [int(v) for v in _split(value)]
        if not ids or not adapter.has_catalog_lookup:
            return
        known = adapter.catalog_names(self.kind, ids)
        missing = [str(i) for i in ids if i not in known]
        if missing:
            raise ValidationError(
                _("There is no %(kind)s with id %(ids)s (deleted, or never there): pick "
                  "them by name."), code="unknown",
                params={"kind": _("category") if self.kind == "category" else _("product"),
                        "ids": ", ".join(missing)})

    def formfield(self, **kwargs: Any) -> forms.Field:
        from personalization.adapters import get_adapter

        if not get_adapter().has_catalog_lookup:
            return super().formfield(**kwargs)
        from personalization.widgets import CatalogFormField

        return CatalogFormField(
            kind=self.kind, required=not self.blank,
            label=kwargs.get("label") or self.verbose_name.capitalize(),
            help_text=_("Type part of a name to find it."),
            max_items=self.max_items)


def catalog_text(kind: str, ids: list[str]) -> str:
    """The products or categories by name (with their id), for reasons and lists:
    "Cat litter 10 l (#12), Garlic dip (#40)"; a deleted one shows as "#40 (deleted)"."""
    from personalization.adapters import get_adapter

    numbers = [int(i) for i in ids if str(i).strip().isdigit()]
    adapter = get_adapter()
    if not adapter.has_catalog_lookup:
        return ", ".join(str(i) for i in ids)
    names = adapter.catalog_names(kind, numbers)
    return ", ".join(f"{names[i]} (#{i})" if i in names else f"#{i} ({_('deleted')})"
                     for i in numbers)


class ImageUploadField(models.FileField):
    """A FileField for an uploaded image whose file picker offers only the types
    ``personalization.images`` accepts (the browser's filter: the bytes are checked by the
    field's validators). Not an ImageField, which would make Pillow a requirement."""

    accept = "image/jpeg,image/png,image/webp,image/gif"

    def formfield(self, **kwargs: Any) -> Any:
        field = super().formfield(**kwargs)
        field.widget.attrs.setdefault("accept", self.accept)
        return field
