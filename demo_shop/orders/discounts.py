"""The shop's discount logic: one validation for cart and checkout, redemption, generation."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from .models import DiscountCode, normalize_code

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes get read aloud


def validate_discount(
    code: str, user: Any, subtotal: Decimal, now: datetime | None = None
) -> tuple[DiscountCode | None, str]:
    """The discount code ``code`` if ``user`` may use it on ``subtotal`` now, else an error.

    Returns ``(code, "")`` or ``(None, message)``; an empty code is ``(None, "")``.
    """
    code = normalize_code(code)
    if not code:
        return None, ""
    now = now or timezone.now()
    discount = DiscountCode.objects.filter(code__iexact=code).first()
    if discount is None:
        return None, _("Unknown discount code “%(code)s”.") % {"code": code}
    if not discount.active:
        return None, _("The discount code “%(code)s” is no longer active.") % {"code": code}
    if discount.assigned_to_id is not None and (
        not getattr(user, "is_authenticated", False) or user.pk != discount.assigned_to_id
    ):
        return None, _("The discount code “%(code)s” belongs to another customer.") % {
            "code": code
        }
    if discount.valid_from and now < discount.valid_from:
        return None, _("The discount code “%(code)s” is not valid yet.") % {"code": code}
    if discount.valid_until and now >= discount.valid_until:
        return None, _("The discount code “%(code)s” expired on %(date)s.") % {
            "code": code,
            "date": formats.date_format(timezone.localtime(discount.valid_until)),
        }
    if is_used_up(discount):
        return None, _("The discount code “%(code)s” has already been used.") % {"code": code}
    if discount.minimum_total is not None and subtotal < discount.minimum_total:
        return None, _(
            "The discount code “%(code)s” needs an order total of at least €%(minimum)s."
        ) % {"code": code, "minimum": discount.minimum_total}
    return discount, ""


def is_used_up(discount: DiscountCode) -> bool:
    if discount.single_use and discount.times_used >= 1:
        return True
    return discount.max_uses is not None and discount.times_used >= discount.max_uses


def redeem_discount(discount: DiscountCode) -> bool:
    """Count one use of ``discount``; False if another checkout used it up first.

    A single conditional UPDATE, so two concurrent checkouts cannot both redeem a
    single-use code. Call it inside the checkout's transaction.
    """
    usable = Q(single_use=False) | Q(times_used=0)
    below_max = Q(max_uses__isnull=True) | Q(times_used__lt=F("max_uses"))
    updated = (
        DiscountCode.objects.filter(pk=discount.pk, active=True)
        .filter(usable, below_max)
        .update(times_used=F("times_used") + 1)
    )
    return updated == 1


def generate_code(prefix: str = "", length: int = 8) -> str:
    body = "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
    prefix = normalize_code(prefix).replace(" ", "-")
    return f"{prefix}-{body}" if prefix else body


def create_single_use_code(
    prefix: str,
    percent: Decimal | int | None = None,
    amount: Decimal | int | None = None,
    valid_days: int = 30,
    assigned_to: Any = None,
    description: str = "",
) -> DiscountCode:
    """Create a unique, random, single-use code worth ``percent`` % or ``amount`` euros."""
    if (percent is None) == (amount is None):
        raise ValueError("Give exactly one of percent or amount.")
    kind = DiscountCode.Kind.PERCENT if percent is not None else DiscountCode.Kind.AMOUNT
    value = Decimal(str(percent if percent is not None else amount))
    now = timezone.now()
    for _attempt in range(10):
        try:
            with transaction.atomic():
                return DiscountCode.objects.create(
                    code=generate_code(prefix),
                    kind=kind,
                    value=value,
                    description=description,
                    valid_from=now,
                    valid_until=now + timedelta(days=valid_days) if valid_days else None,
                    single_use=True,
                    max_uses=1,
                    assigned_to=assigned_to,
                )
        except IntegrityError:  # pragma: no cover - 32**8 codes: a clash is rare
            continue
    raise RuntimeError("Could not generate a unique discount code.")
