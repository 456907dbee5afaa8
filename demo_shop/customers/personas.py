"""The demo personas: seeded by ``seed_demo``, offered by the persona switcher."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Persona:
    username: str
    first_name: str
    last_name: str
    role: str


PERSONAS: tuple[Persona, ...] = (
    Persona("anna", "Anna", "Jansen", _("cat owner, orders litter and food monthly")),
    Persona("jan", "Jan", "de Vries", _("farmer, reorders the same supplies")),
    Persona("lisa", "Lisa", "Bakker", _("lapsed pizza customer, left pizzas in her cart")),
    Persona("tom", "Tom", "Visser", _("bought t-shirts")),
    Persona("bram", "Bram", "Smit", _("always uses discount codes")),
    Persona("eva", "Eva", "Dekker", _("cat owner who declined personalization")),
)
PERSONA_USERNAMES = frozenset(p.username for p in PERSONAS)
#: Demo only: what a persona left in her cart, and how many hours ago (the pizza chain's
#: "your cart is waiting"). Put in the cart when switching to her with an empty cart.
ABANDONED_CARTS: dict[str, tuple[tuple[tuple[str, int], ...], int]] = {
    "lisa": ((("pizza-margherita", 2), ("pizza-pepperoni", 1)), 3),
}
PERSONA_PASSWORD = "demo"


def switcher_enabled() -> bool:
    """Demo only: the persona switcher logs anyone in as a persona without a password, so
    it is on only when the settings turn it on *and* DEBUG is on: a demo deployed with
    DEBUG off never offers it (the check ``demo_shop.W001`` says so if asked for)."""
    return bool(getattr(settings, "DEMO_PERSONA_SWITCHER", False)) and bool(settings.DEBUG)


@register(Tags.security, deploy=False)
def check_switcher(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """A switcher asked for with DEBUG off is refused: say so, instead of failing quietly."""
    if getattr(settings, "DEMO_PERSONA_SWITCHER", False) and not settings.DEBUG:
        return [Warning(
            "DEMO_PERSONA_SWITCHER is on but DEBUG is off: the persona switcher stays off.",
            hint="It logs anyone in as a demo customer without a password; it only runs "
                 "with DEBUG on (DJANGO_DEBUG=1), on a machine of your own.",
            id="demo_shop.W001")]
    return []
