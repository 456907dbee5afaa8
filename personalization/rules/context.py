"""RuleContext: what a rule may ask about the visitor (the engine's VisitorContext is one)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from personalization.adapters import CartSnapshot


class RuleContext(Protocol):
    """The facts and questions ``Rule.matches(ctx)`` reads, and what a segment asks when it
    combines its rules (``engine.segments.evaluate``).

    Rules type against this protocol, not against the engine's class, so ``rules/`` imports
    nothing from ``engine/``: the engine sits above the rules. Each fact is worked out on
    first use and kept for the request. The profile (``engine.profiles.ProfileSnapshot``)
    and the weather (``engine.weather.Weather``) are plain values of the engine's, typed
    ``Any`` here for that reason.
    """

    # -- the request ----------------------------------------------------------------------
    @property
    def now(self) -> datetime: ...  # aware, in the store's time zone
    @property
    def path(self) -> str: ...
    @property
    def query(self) -> dict[str, str]: ...
    @property
    def device(self) -> str: ...  # desktop, mobile, tablet or bot
    @property
    def country(self) -> str | None: ...
    @property
    def language(self) -> str: ...
    @property
    def referrer(self) -> str: ...
    @property
    def referrer_class(self) -> str: ...  # direct, internal, search, social, email, other
    @property
    def category_ids(self) -> tuple[int, ...]: ...  # of the page shown
    @property
    def temperature(self) -> float | None: ...
    @property
    def weather(self) -> Any: ...  # Weather or None

    # -- the visitor ----------------------------------------------------------------------
    @property
    def is_authenticated(self) -> bool: ...
    @property
    def visit_count(self) -> int: ...
    @property
    def utm_first(self) -> dict[str, str]: ...
    @property
    def utm_last(self) -> dict[str, str]: ...
    @property
    def cart(self) -> CartSnapshot: ...
    @property
    def profile(self) -> Any: ...  # ProfileSnapshot of a known customer, or None
    @property
    def category_affinity(self) -> dict[int, float]: ...

    # -- questions ------------------------------------------------------------------------
    def has_consent(self, purpose: str | None) -> bool: ...
    def flag_active(self, name: str) -> bool: ...
    def in_segment(self, segment_id: int) -> bool: ...

    # -- what a segment asks (rules do not) -------------------------------------------------
    def answer(self, check: Any) -> Any: ...  # True, False, DENIED or FAILED, once a request
    def rule_error(self, key: int) -> str: ...
