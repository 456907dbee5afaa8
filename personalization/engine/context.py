"""VisitorContext: what is known about this visitor now. Facts are computed on first use."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.core import signing
from django.utils import translation
from django.utils.functional import LazyObject, empty

from personalization.adapters import CartSnapshot, get_adapter
from personalization.conf import app_settings, django_setting
from personalization.privacy.consent import (
    ID_PURPOSES,
    PERSONALIZATION,
    ConsentState,
    state_for_request,
)
from personalization.privacy.signed import remember_signed, verified_loads

if TYPE_CHECKING:
    from django.http import HttpRequest

    from personalization.engine.decide import Decision
    from personalization.engine.profiles import ProfileSnapshot
    from personalization.engine.rulebook import RuleBook

logger = logging.getLogger(__name__)

STATE_SALT = "personalization.visitor"
CAPS_SALT = "personalization.caps"
VISIT_GAP_SECONDS = 30 * 60  # a new visit starts after 30 minutes without a request
MAX_VIEWED_CATEGORIES = 12
UTM_KEYS = ("source", "medium", "campaign")
SEARCH_HOSTS = ("google.", "bing.", "duckduckgo.", "yahoo.", "ecosia.", "baidu.", "yandex.")
SOCIAL_HOSTS = ("facebook.", "instagram.", "t.co", "twitter.", "x.com", "linkedin.",
                "pinterest.", "tiktok.", "reddit.", "youtube.")
EMAIL_HOSTS = ("mail.", "outlook.", "webmail")


@dataclass
class VisitorState:
    """What the signed visitor cookie remembers between requests (no database needed)."""

    vid: str
    visits: int = 1
    last: int = 0
    first_touch: dict[str, str] = field(default_factory=dict)
    last_touch: dict[str, str] = field(default_factory=dict)
    views: dict[str, int] = field(default_factory=dict)
    last_category: str = ""
    is_new: bool = False
    changed: bool = False

    def dumps(self) -> str:
        data = {"v": self.vid, "n": self.visits, "t": self.last}
        if self.first_touch:
            data["f"] = self.first_touch
        if self.last_touch:
            data["l"] = self.last_touch
        if self.views:
            data["c"] = self.views
        if self.last_category:
            data["k"] = self.last_category
        raw = signing.dumps(data, salt=STATE_SALT, compress=True)
        # The next request need not verify it again (a copy: the state may change later).
        remember_signed(raw, STATE_SALT, {k: dict(v) if isinstance(v, dict) else v
                                    for k, v in data.items()})
        return raw

    @classmethod
    def loads(cls, raw: str | None) -> VisitorState:
        """The state in the cookie, or a new visitor when it is missing or tampered with."""
        if raw:
            try:
                data = verified_loads(raw, STATE_SALT)
                return cls(vid=str(uuid.UUID(data["v"])), visits=int(data.get("n", 1)),
                           last=int(data.get("t", 0)), first_touch=dict(data.get("f", {})),
                           last_touch=dict(data.get("l", {})),
                           views={str(k): int(v) for k, v in data.get("c", {}).items()},
                           last_category=str(data.get("k", "")))
            except (signing.BadSignature, KeyError, ValueError, TypeError, AttributeError):
                logger.info("Ignoring an invalid visitor cookie.")
        return cls(vid=str(uuid.uuid4()), is_new=True, changed=True)

    def touch(self, now: int) -> None:
        """Count a new visit when the last request was long enough ago."""
        if not self.is_new and self.last and now - self.last > VISIT_GAP_SECONDS:
            self.visits += 1
            self.changed = True
        if now - self.last > 60:  # keep the cookie quiet within a minute
            self.last = now
            self.changed = True

    def record_utm(self, utm: dict[str, str]) -> None:
        if utm and utm != self.last_touch:
            self.last_touch = utm
            self.changed = True
        if utm and not self.first_touch:
            self.first_touch = utm
            self.changed = True

    def record_view(self, category_ids: tuple[int, ...]) -> None:
        """Count a visit to a category: entering it, not every page viewed inside it."""
        if not category_ids:
            return
        key = str(category_ids[0])
        if key == self.last_category:
            return
        self.last_category = key
        self.views[key] = self.views.get(key, 0) + 1
        if len(self.views) > MAX_VIEWED_CATEGORIES:
            smallest = min(self.views, key=self.views.get)
            del self.views[smallest]
        self.changed = True


@dataclass
class Caps:
    """Per-visitor impression counters for frequency caps and the campaigns the visitor
    dismissed, kept in a signed cookie: ``{campaign id: [n, period start], "d": {campaign
    id: dismissed until}}`` (Unix seconds)."""

    counts: dict[str, list[int]] = field(default_factory=dict)  # campaign id -> [n, start]
    dismissed: dict[str, int] = field(default_factory=dict)  # campaign id -> until
    changed: bool = False

    @classmethod
    def loads(cls, raw: str | None) -> Caps:
        if raw:
            try:
                data = dict(verified_loads(raw, CAPS_SALT))
                dismissed = {str(k): int(v) for k, v in (data.pop("d", None) or {}).items()}
                return cls(counts={str(k): [int(v[0]), int(v[1])] for k, v in data.items()},
                           dismissed=dismissed)
            except (signing.BadSignature, ValueError, TypeError, IndexError, AttributeError):
                pass
        return cls()

    def dumps(self) -> str:
        data: dict[str, Any] = dict(self.counts)
        now = int(time.time())
        live = {k: until for k, until in self.dismissed.items() if until > now}
        if live:
            data["d"] = live
        return signing.dumps(data, salt=CAPS_SALT, compress=True)

    def count(self, campaign_id: int, period_hours: int, now: int) -> int:
        entry = self.counts.get(str(campaign_id))
        if not entry or now - entry[1] >= period_hours * 3600:
            return 0
        return entry[0]

    def add(self, campaign_id: int, period_hours: int, now: int) -> None:
        key = str(campaign_id)
        entry = self.counts.get(key)
        if not entry or now - entry[1] >= period_hours * 3600:
            self.counts[key] = [1, now]
        else:
            entry[0] += 1
        self.changed = True

    def dismiss(self, campaign_id: int, hours: int, now: int) -> None:
        """Remember that the visitor closed the campaign's content, for ``hours``."""
        self.dismissed[str(campaign_id)] = now + max(hours, 1) * 3600
        self.changed = True

    def is_dismissed(self, campaign_id: int, now: int) -> bool:
        return self.dismissed.get(str(campaign_id), 0) > now


@lru_cache(maxsize=2048)
def device_class(user_agent: str, mobile_hint: str = "") -> str:
    """mobile / tablet / desktop / bot, from the User-Agent (and the Sec-CH-UA-Mobile hint)."""
    if mobile_hint == "?1":
        return "mobile"
    ua = user_agent.lower()
    if not ua:
        return "desktop"
    if any(b in ua for b in ("bot", "crawl", "spider", "slurp", "headlesschrome")):
        return "bot"
    from ua_parser import parse

    result = parse(user_agent)
    family = (result.device.family if result.device else "") or ""
    if "ipad" in ua or "tablet" in ua or ("android" in ua and "mobile" not in ua):
        return "tablet"
    if "mobi" in ua or "iphone" in ua or family in ("iPhone", "Generic Smartphone"):
        return "mobile"
    if family == "Spider":
        return "bot"
    return "desktop"


def referrer_class(referrer: str, own_host: str) -> str:
    if not referrer:
        return "direct"
    host = (urlsplit(referrer).hostname or "").lower()
    if not host:
        return "other"
    if own_host and host == own_host.split(":")[0].lower():
        return "internal"
    if any(s in host for s in SEARCH_HOSTS):
        return "search"
    if any(s in host for s in SOCIAL_HOSTS):
        return "social"
    if any(host.startswith(s) or s in host for s in EMAIL_HOSTS):
        return "email"
    return "other"


def store_timezone() -> ZoneInfo:
    return ZoneInfo(app_settings.TIME_ZONE or django_setting("TIME_ZONE"))


def _explain(segment: Any, ctx: VisitorContext) -> Any:
    return segment.evaluate(ctx)[1]


class VisitorContext:
    """Everything rules may ask about the visitor, computed lazily and at most once.

    Built by the middleware from a request, or by :func:`personalization.testing.make_context`
    from explicit facts (any fact given as a keyword wins over the request).
    """

    #: A staff preview (see preview.py): nothing is recorded or created for real.
    is_preview = False

    FACTS = frozenset((
        "now", "user", "is_authenticated", "visitor_id", "bucket_id", "visit_count", "device",
        "country", "language", "referrer", "referrer_class", "utm_first", "utm_last", "path",
        "query", "category_ids", "cart", "profile", "category_affinity", "temperature",
        "state", "caps", "rulebook", "consent", "allowed_purposes", "remembered",
    ))

    #: FACTS name -> its ``_get_<name>`` method (a subclass may override them).
    _fact_getters: dict[str, Any] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._fact_getters = {name: getattr(cls, f"_get_{name}") for name in cls.FACTS}

    def __init__(self, request: HttpRequest | None = None, **facts: Any) -> None:
        unknown = set(facts) - set(self.FACTS) - {"flags", "segments"}
        if unknown:
            raise TypeError(f"Unknown visitor facts: {', '.join(sorted(unknown))}")
        self.request = request
        self._given = facts
        self.decisions: dict[str, Decision] = {}
        self.impressions: list[Decision] = []
        self.touched = False
        self.popup_slot: str | None = None
        self._segments: dict[int, bool] = {}
        self._rule_results: dict[int, Any] = {}
        self._rule_errors: dict[int, Exception] = {}
        self._segment_notes: dict[int, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if name not in VisitorContext.FACTS:
            raise AttributeError(name)
        given = self._given
        value = given[name] if name in given else self._fact_getters[name](self)
        self.__dict__[name] = value
        return value

    # -- request facts -------------------------------------------------------------------
    def _meta(self, key: str) -> str:
        return self.request.META.get(key, "") if self.request is not None else ""

    def _get_now(self) -> datetime:
        return datetime.now(store_timezone())  # aware, in the store's time zone

    def _get_user(self) -> Any:
        user = getattr(self.request, "user", None)
        if isinstance(user, LazyObject):
            # The authentication middleware's lazy user: resolved once, so the rest of the
            # request asks the user object itself rather than a proxy.
            if user._wrapped is empty:
                user._setup()
            return user._wrapped
        return user

    def _get_is_authenticated(self) -> bool:
        user = self.user
        return bool(user is not None and user.is_authenticated)

    def _get_state(self) -> VisitorState:
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

    @cached_property
    def dismissed_any(self) -> bool:
        """Whether the visitor dismissed anything (without reading the caps cookie when he
        has none)."""
        if "caps" not in self.__dict__ and "caps" not in self._given and (
                self.request is None
                or app_settings.CAP_COOKIE_NAME not in self.request.COOKIES):
            return False
        return bool(self.caps.dismissed)

    def _get_caps(self) -> Caps:
        raw = self.request.COOKIES.get(app_settings.CAP_COOKIE_NAME) if self.request else None
        return Caps.loads(raw)

    def _get_visitor_id(self) -> str:
        return self.state.vid

    def _get_bucket_id(self) -> str:
        profile = self.profile
        return profile.visitor_id if profile is not None else self.visitor_id

    def _get_visit_count(self) -> int:
        return self.state.visits

    def _get_device(self) -> str:
        return device_class(self._meta("HTTP_USER_AGENT")[:512],
                            self._meta("HTTP_SEC_CH_UA_MOBILE"))

    def _get_country(self) -> str | None:
        header = app_settings.COUNTRY_HEADER
        if header:
            value = self._meta("HTTP_" + header.upper().replace("-", "_")).strip().upper()
            if len(value) == 2 and value.isalpha() and value != "XX":
                return value
        if app_settings.GEOIP_PATH and self.request is not None:
            from personalization.engine.geo import country_of_ip

            return country_of_ip(self._meta("REMOTE_ADDR"))
        return None

    def _get_language(self) -> str:
        return getattr(self.request, "LANGUAGE_CODE", None) or translation.get_language() or ""

    def _get_referrer(self) -> str:
        return self._meta("HTTP_REFERER")[:1000]

    def _get_referrer_class(self) -> str:
        host = self.request.get_host() if self.request is not None else ""
        return referrer_class(self.referrer, host)

    def _utm_of_request(self) -> dict[str, str]:
        if self.request is None:
            return {}
        return {k: self.request.GET[f"utm_{k}"][:100] for k in UTM_KEYS
                if self.request.GET.get(f"utm_{k}")}

    def _get_utm_first(self) -> dict[str, str]:
        return self.state.first_touch

    def _get_utm_last(self) -> dict[str, str]:
        return self.state.last_touch

    def _get_path(self) -> str:
        return self.request.path if self.request is not None else "/"

    def _get_query(self) -> dict[str, str]:
        return self.request.GET.dict() if self.request is not None else {}

    def _get_category_ids(self) -> tuple[int, ...]:
        if self.request is None:
            return ()
        return tuple(get_adapter().current_category(self.request) or ())

    def _get_cart(self) -> CartSnapshot:
        if self.request is None:
            return CartSnapshot()
        return get_adapter().cart(self.request)

    def _get_profile(self) -> ProfileSnapshot | None:
        if not self.is_authenticated or PERSONALIZATION not in self.allowed_purposes:
            return None  # without personalization consent no profile is built or read
        from personalization.engine.profiles import snapshot_for_user

        return snapshot_for_user(self.user)

    def _get_category_affinity(self) -> dict[int, float]:
        """Share of interest per category: purchases for customers, else recent views."""
        profile = self.profile
        if profile is not None and profile.category_shares:
            return profile.category_shares
        if PERSONALIZATION not in self.allowed_purposes:
            return {}
        views = self.state.views
        total = sum(views.values())
        return {int(k): v / total for k, v in views.items()} if total else {}

    def _get_temperature(self) -> float | None:
        profile = self.profile
        city = profile.fields.get("city") if profile is not None else None
        try:
            return app_settings.TEMPERATURE_PROVIDER(self.country, city)
        except Exception:  # a weather service being down must not break the page
            logger.exception("Temperature provider failed")
            return None

    def _get_rulebook(self) -> RuleBook:
        from personalization.engine.rulebook import get_rulebook

        return get_rulebook()

    def _get_consent(self) -> ConsentState:
        if self.request is None:
            return ConsentState()
        return state_for_request(self.request)

    def _get_allowed_purposes(self) -> frozenset[str]:
        return self.consent.allowed

    def _get_remembered(self) -> bool:
        """Whether a visitor id may be stored (personalization or analytics consent)."""
        return not ID_PURPOSES.isdisjoint(self.allowed_purposes)

    # -- questions rules ask -------------------------------------------------------------
    def has_consent(self, purpose: str | None) -> bool:
        """Whether the visitor allows ``purpose``: the one place consent is enforced."""
        return not purpose or purpose in self.allowed_purposes

    def flag_active(self, name: str) -> bool:
        if "flags" in self._given:
            return name in self._given["flags"]
        if self.request is None:
            return False
        import waffle

        return waffle.flag_is_active(self.request, name)

    def in_segment(self, segment_id: int) -> bool:
        """Whether the visitor is in the segment (memoised for this request)."""
        memo = self._segments
        if segment_id in memo:
            return memo[segment_id]
        simulated = self._given.get("segments")
        if simulated is not None:
            result = segment_id in simulated
            if not result:  # given by slug?
                segment = self.rulebook.segments.get(segment_id)
                result = segment is not None and segment.slug in simulated
            self._segment_notes[segment_id] = ("simulated membership" if result
                                               else "simulated: not a member")
        else:
            # Provisional "no" while evaluating: a cycle of in-segment rules matches nothing.
            memo[segment_id] = False
            segment = self.rulebook.segments.get(segment_id)
            if segment is None:
                result, note = False, "unknown segment"
            else:  # the words are worked out only if somebody reads them
                result, note = segment.matches(self), (_explain, segment, self)
            self._segment_notes[segment_id] = note
        memo[segment_id] = result
        return result

    def segment_note(self, segment_id: int) -> str:
        from personalization.engine.rulebook import render_note

        note = self._segment_notes.get(segment_id)
        if note is None:  # decided without in_segment (decide._find): work it out now
            segment = self.rulebook.segments.get(segment_id)
            note = (_explain, segment, self) if segment is not None else "unknown segment"
        return render_note(note)

    def text_fields(self) -> dict[str, str]:
        """Values a text variant may insert (allow-listed in TEXT_FIELDS)."""
        allowed = app_settings.TEXT_FIELDS
        values: dict[str, str] = {}
        if PERSONALIZATION not in self.allowed_purposes:  # his name is personal data
            if "country" in allowed and self.country:
                values["country"] = self.country
            return values
        profile = self.profile
        if profile is not None:
            values.update({k: v for k, v in profile.fields.items() if k in allowed})
        user = self.user
        if user is not None and getattr(user, "is_authenticated", False):
            for name in allowed:
                if not values.get(name) and getattr(user, name, ""):
                    values[name] = str(getattr(user, name))
        if "country" in allowed and not values.get("country") and self.country:
            values["country"] = self.country
        return values


VisitorContext._fact_getters = {
    name: getattr(VisitorContext, f"_get_{name}") for name in VisitorContext.FACTS}
