"""Template context shared by every page of the demo shop."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from demo_shop.catalog.models import Department
from demo_shop.customers.personas import PERSONAS, switcher_enabled
from demo_shop.orders.cart import Cart


def shop(request: HttpRequest) -> dict[str, Any]:
    enabled = switcher_enabled()
    user = getattr(request, "user", None)
    context: dict[str, Any] = {
        "shop_name": getattr(settings, "SHOP_NAME", "Demo shop"),
        "nav_departments": Department.objects.all(),
        "cart_count": Cart(request).count if hasattr(request, "session") else 0,
        "persona_switcher": enabled,
        "shop_category": getattr(request, "shop_category", None),
    }
    if enabled:
        context["personas"] = PERSONAS
        context["current_persona"] = (
            user.get_username() if user is not None and user.is_authenticated else "anonymous"
        )
        context["in_global_holdout"] = _held_out(request)
    return context


def _held_out(request: HttpRequest) -> bool:
    from personalization.engine.decide import in_global_holdout

    visitor = getattr(request, "visitor", None)
    return visitor is not None and in_global_holdout(visitor)
