"""The demo personas: seeded by ``seed_demo``, offered by the persona switcher."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
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
    Persona("lisa", "Lisa", "Bakker", _("lapsed pizza customer")),
    Persona("tom", "Tom", "Visser", _("bought t-shirts")),
    Persona("bram", "Bram", "Smit", _("always uses discount codes")),
)
PERSONA_USERNAMES = frozenset(p.username for p in PERSONAS)
PERSONA_PASSWORD = "demo"


def switcher_enabled() -> bool:
    """Demo only: the persona switcher is off unless the settings turn it on."""
    return bool(getattr(settings, "DEMO_PERSONA_SWITCHER", False))
