"""VisitorContext: what is known about this visitor now. Facts are computed on first use."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils import translation
from django.utils.functional import LazyObject, cached_property, empty
from django.utils.translation import gettext_noop

from personalization.adapters import CartSnapshot, get_adapter
from personalization.conf import app_settings
from personalization.engine.cookies import Caps, VisitorState
from personalization.engine.geo import coordinates_of_ip, country_of_ip
from personalization.engine.profiles import ProfileSnapshot, snapshot_for_user
from personalization.engine.request_facts import (
    UTM_KEYS,
    device_class,
    is_checkout,
    referrer_class,
    store_timezone,
)
from personalization.engine.rulebook import RuleBook, get_rulebook
from personalization.engine.segments import (
    DENIED,
    FAILED,
    Answer,
    Check,
    Reason,
    Verdict,
    evaluate,
)
from personalization.engine.weather import CAPITALS, Weather, weather_provider
from personalization.html import without_control_characters
from personalization.privacy.consent import (
    ID_PURPOSES,
    PERSONALIZATION,
    ConsentState,
    state_for_request,
)

if TYPE_CHECKING:
    from django.http import HttpRequest

logger = logging.getLogger(__name__)


class VisitorContext:
    """Everything rules may ask about the visitor, computed lazily and at most once.

    Built by the middleware from a request, or by :func:`personalization.testing.make_context`
    from explicit facts (any fact given as a keyword wins over the request). Each fact is a
    cached property (Django's: Python 3.11's takes a lock all requests share); rules read
    them as a :class:`personalization.rules.RuleContext`.
    """

    #: A staff preview (see preview.py): nothing is recorded or created for real.
    is_preview = False

    def __init__(self, request: HttpRequest | None = None, **facts: Any) -> None:
        unknown = {name for name in facts if not self.is_fact(name)} - {"flags", "segments"}
        if unknown:
            raise TypeError(f"Unknown visitor facts: {', '.join(sorted(unknown))}")
        self.request = request
        self._flags = facts.pop("flags", None)
        simulated = facts.pop("segments", None)
        self._simulated = None if simulated is None else frozenset(simulated)
        self._given = facts  # they stand for the whole request, even when forgotten
        self.__dict__.update(facts)  # a cached_property's value is read from here
        self._answers: dict[int, Any] = {}  # rule key -> True, False, FAILED
        self._errors: dict[int, Exception] = {}  # rule key -> what it raised
        self._verdicts: dict[int, Verdict] = {}  # segment id -> verdict
        self._memo: dict[str, Any] = {}  # see request_memo()

    # -- the context's API for the rest of the app ----------------------------------------
    def set_fact(self, name: str, value: Any) -> None:
        """Replace a fact for the rest of the request (a consent chosen on this request)."""
        if not self.is_fact(name):
            raise AttributeError(name)
        self.__dict__[name] = value
        self._forget_answers()

    def forget_facts(self, *names: str) -> None:
        """Work these facts out again on next use (the user has just logged in); a fact
        given to the context stays as given."""
        for name in names:
            if not self.is_fact(name):
                raise AttributeError(name)
            self.__dict__.pop(name, None)
            if name in self._given:
                self.__dict__[name] = self._given[name]
        self._forget_answers()

    def _forget_answers(self) -> None:
        """Rules and segments are asked again after a fact changed (slots already decided
        on this request keep their decision)."""
        self._answers.clear()
        self._errors.clear()
        self._verdicts.clear()

    @classmethod
    def is_fact(cls, name: str) -> bool:
        """Whether ``name`` is one of the facts: the context's cached properties."""
        return isinstance(getattr(cls, name, None), cached_property)

    def is_loaded(self, name: str) -> bool:
        """Whether the fact was worked out, given or set on this request: a cookie that
        nobody read need not be written back."""
        return name in self.__dict__

    def forget_visitor(self) -> None:
        """After erasure: nothing about this browser is remembered from here on."""
        self.set_fact("remembered", False)

    @property
    def simulated_segments(self) -> frozenset[Any] | None:
        """Segment ids or slugs a preview or a test says the visitor is in, or None."""
        return self._simulated

    def request_memo(self, key: str, factory: Callable[[], Any] | None = None) -> Any:
        """An object kept for this request by a part of the app above the context (the
        page's decisions): made by ``factory`` on first use, None without one."""
        value = self._memo.get(key)
        if value is None and factory is not None:
            value = self._memo[key] = factory()
        return value

    # -- request facts -------------------------------------------------------------------
    def _meta(self, key: str) -> str:
        return self.request.META.get(key, "") if self.request is not None else ""

    @cached_property
    def now(self) -> datetime:
        return datetime.now(store_timezone())  # aware, in the store's time zone

    @cached_property
    def user(self) -> Any:
        user = getattr(self.request, "user", None)
        if isinstance(user, LazyObject):
            # The authentication middleware's lazy user: resolved once, so the rest of the
            # request asks the user object itself rather than a proxy.
            if user._wrapped is empty:
                user._setup()
            return user._wrapped
        return user

    @cached_property
    def is_authenticated(self) -> bool:
        user = self.user
        return bool(user is not None and user.is_authenticated)

    @cached_property
    def state(self) -> VisitorState:
        """The visitor cookie's state, or, without consent to remember him, a state for this
        request only (a fresh id, first visit, this request's UTM parameters)."""
        if self.request is None:
            return VisitorState(vid=str(uuid.uuid4()), is_new=True)
        if not self.remembered:
            state = VisitorState(vid=str(uuid.uuid4()), is_new=True)
            state.record_utm(self._utm_of_request())
            return state
        state = VisitorState.loads(self.request.COOKIES.get(app_settings.VISITOR_COOKIE_NAME))
        state.touch(int(time.time()))
        state.record_utm(self._utm_of_request())
        return state

    def has_dismissals(self) -> bool:
        """Whether the visitor dismissed anything (without reading the caps cookie when he
        has none)."""
        if not self.is_loaded("caps") and (
                self.request is None
                or app_settings.CAP_COOKIE_NAME not in self.request.COOKIES):
            return False
        return bool(self.caps.dismissed)

    @cached_property
    def caps(self) -> Caps:
        raw = self.request.COOKIES.get(app_settings.CAP_COOKIE_NAME) if self.request else None
        return Caps.loads(raw)

    @cached_property
    def visitor_id(self) -> str:
        return self.state.vid

    @cached_property
    def bucket_id(self) -> str:
        profile = self.profile
        return profile.visitor_id if profile is not None else self.visitor_id

    @cached_property
    def visit_count(self) -> int:
        return self.state.visits

    @cached_property
    def device(self) -> str:
        return device_class(self._meta("HTTP_USER_AGENT")[:512],
                            self._meta("HTTP_SEC_CH_UA_MOBILE"))

    @cached_property
    def country(self) -> str | None:
        header = app_settings.COUNTRY_HEADER
        if header:
            value = self._meta("HTTP_" + header.upper().replace("-", "_")).strip().upper()
            if len(value) == 2 and value.isalpha() and value != "XX":
                return value
        if app_settings.GEOIP_PATH and self.request is not None:
            return country_of_ip(self._meta("REMOTE_ADDR"))
        return None

    @cached_property
    def language(self) -> str:
        return getattr(self.request, "LANGUAGE_CODE", None) or translation.get_language() or ""

    @cached_property
    def referrer(self) -> str:
        return self._meta("HTTP_REFERER")[:1000]

    @cached_property
    def referrer_class(self) -> str:
        host = self.request.get_host() if self.request is not None else ""
        return referrer_class(self.referrer, host)

    def _utm_of_request(self) -> dict[str, str]:
        if self.request is None:
            return {}
        found = {k: without_control_characters(self.request.GET.get(f"utm_{k}", ""))[:100]
                 for k in UTM_KEYS}
        return {k: v for k, v in found.items() if v}

    @cached_property
    def utm_first(self) -> dict[str, str]:
        return self.state.first_touch

    @cached_property
    def utm_last(self) -> dict[str, str]:
        return self.state.last_touch

    @cached_property
    def path(self) -> str:
        return self.request.path if self.request is not None else "/"

    @cached_property
    def on_checkout(self) -> bool:
        return is_checkout(self.request, self.path)

    @cached_property
    def query(self) -> dict[str, str]:
        return self.request.GET.dict() if self.request is not None else {}

    @cached_property
    def category_ids(self) -> tuple[int, ...]:
        if self.request is None:
            return ()
        return tuple(get_adapter().current_category(self.request) or ())

    @cached_property
    def cart(self) -> CartSnapshot:
        if self.request is None:
            return CartSnapshot()
        return get_adapter().cart(self.request)

    @cached_property
    def profile(self) -> ProfileSnapshot | None:
        if not self.is_authenticated or PERSONALIZATION not in self.allowed_purposes:
            return None  # without personalization consent no profile is built or read
        return snapshot_for_user(self.user)

    @cached_property
    def category_affinity(self) -> dict[int, float]:
        """Share of interest per category: purchases for customers, else recent views."""
        profile = self.profile
        if profile is not None and profile.category_shares:
            return profile.category_shares
        if PERSONALIZATION not in self.allowed_purposes:
            return {}
        views = self.state.views
        total = sum(views.values())
        return {int(k): v / total for k, v in views.items()} if total else {}

    @cached_property
    def temperature(self) -> float | None:
        if app_settings.WEATHER_PROVIDER is not None:
            weather = self.weather
            return weather.temperature if weather is not None else None
        profile = self.profile
        city = profile.fields.get("city") if profile is not None else None
        try:
            return app_settings.TEMPERATURE_PROVIDER(self.country, city)
        except Exception:  # a weather service being down must not break the page
            logger.exception("Temperature provider failed")
            return None

    @cached_property
    def coordinates(self) -> tuple[float, float] | None:
        """Where the visitor is: a trusted CDN's coordinate headers, else a GeoIP2 city
        database, else his country's capital (a country's weather is roughly its
        capital's)."""
        headers = app_settings.COORDINATES_HEADERS
        if headers:
            try:
                lat, lon = (float(self._meta("HTTP_" + h.upper().replace("-", "_")))
                            for h in headers)
            except ValueError:
                pass
            else:
                if -90 <= lat <= 90 and -180 <= lon <= 180:
                    return lat, lon
        if app_settings.GEOIP_PATH and self.request is not None:
            found = coordinates_of_ip(self._meta("REMOTE_ADDR"))
            if found is not None:
                return found
        return CAPITALS.get(self.country or "")

    @cached_property
    def weather(self) -> Weather | None:
        provider = weather_provider()
        where = self.coordinates if provider is not None else None
        if where is None:
            return None
        try:
            return provider(*where)
        except Exception:  # a weather service being down must not break the page
            logger.exception("Weather provider failed")
            return None

    @cached_property
    def rulebook(self) -> RuleBook:
        return get_rulebook()

    @cached_property
    def consent(self) -> ConsentState:
        if self.request is None:
            return ConsentState()
        return state_for_request(self.request)

    @cached_property
    def allowed_purposes(self) -> frozenset[str]:
        return self.consent.allowed

    @cached_property
    def remembered(self) -> bool:
        """Whether a visitor id may be stored (personalization or analytics consent)."""
        return not ID_PURPOSES.isdisjoint(self.allowed_purposes)

    # -- questions rules ask -------------------------------------------------------------
    def has_consent(self, purpose: str | None) -> bool:
        """Whether the visitor allows ``purpose``: the one place consent is enforced."""
        return not purpose or purpose in self.allowed_purposes

    def flag_active(self, name: str) -> bool:
        if self._flags is not None:
            return name in self._flags
        if self.request is None:
            return False
        import waffle

        try:
            return waffle.flag_is_active(self.request, name)
        except Exception:  # waffle reads its cache; one that is down turns the flag off
            logger.warning("Could not read the flag %r; treating it as off", name,
                           exc_info=True)
            return False

    def answer(self, check: Check) -> bool | Answer:
        """What one rule says about the visitor: True or False, DENIED without its consent,
        FAILED when it raised (logged once). Rules sharing ``check.key`` run once."""
        if check.purpose is not None and check.purpose not in self.allowed_purposes:
            return DENIED
        answer = self._answers.get(check.key)
        if answer is None:
            try:
                answer = True if check.rule.matches(self) else False
            except Exception as exc:  # a broken rule never breaks a page
                logger.exception("Rule %s (%s) raised; treated as no match", check.rule.pk,
                                 type(check.rule).__name__)
                self._errors[check.key] = exc
                answer = FAILED
            self._answers[check.key] = answer
        return answer

    def rule_error(self, key: int) -> str:
        """What the rule with ``key`` raised on this request, in words."""
        exc = self._errors.get(key)
        return f"{type(exc).__name__}: {exc}" if exc is not None else "no error"

    def in_segment(self, segment_id: int) -> bool:
        """Whether the visitor is in the segment (decided once per request)."""
        return self.segment_verdict(segment_id).matched

    def segment_verdict(self, segment_id: int) -> Verdict:
        """Whether the visitor is in the segment, and why (decided once per request)."""
        verdict = self._verdicts.get(segment_id)
        if verdict is not None:
            return verdict
        simulated = self._simulated
        if simulated is not None:  # by id, else by slug
            inside = segment_id in simulated or (
                getattr(self.rulebook.segments.get(segment_id), "slug", None) in simulated)
            self._verdicts[segment_id] = Verdict(inside, _SIMULATED_IN if inside
                                                 else _SIMULATED_OUT)
            return self._verdicts[segment_id]
        segment = self.rulebook.segments.get(segment_id)
        if segment is None:
            verdict = Verdict(False, Reason(gettext_noop("unknown segment")))
        else:
            # Provisional "no" while evaluating: a cycle of in-segment rules matches nothing.
            self._verdicts[segment_id] = _IN_A_CYCLE
            verdict = evaluate(segment, self)
        self._verdicts[segment_id] = verdict
        return verdict


_SIMULATED_IN = Reason(gettext_noop("simulated membership"))
_SIMULATED_OUT = Reason(gettext_noop("simulated: not a member"))
_IN_A_CYCLE = Verdict(False, Reason(gettext_noop("in a cycle of 'in segment' rules")))
