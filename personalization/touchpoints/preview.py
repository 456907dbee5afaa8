"""Staff preview: any page as a segment or a customer would see it, through a signed link."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.contrib.auth import get_user_model
from django.core import signing
from django.http import HttpRequest, HttpResponse, QueryDict
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, gettext_noop

from personalization.adapters import CartSnapshot, categories_of_path, get_adapter
from personalization.conf import app_settings
from personalization.engine.context import VisitorContext
from personalization.engine.cookies import VisitorState
from personalization.engine.decide import Decision, held_out, page_of
from personalization.engine.request_facts import UTM_KEYS
from personalization.engine.segments import Reason
from personalization.privacy.consent import ID_PURPOSES

logger = logging.getLogger(__name__)

SALT = "personalization.preview"
#: The query parameter that carries the signed preview token.
QUERY_PARAM = "pz_preview"
#: Segment previews bucket every previewer alike, so a reload shows the same variant.
_SEGMENT_NAMESPACE = uuid.UUID("8d7f0f0e-6a57-4a8e-9a52-4f3e3a3f0c11")


@dataclass(frozen=True)
class Target:
    """Whom a preview simulates: a member of one segment (by slug), or one customer; and,
    when the previewer chose them, the arm (``"control"`` or a variant's id: that variant
    for its campaign), the country, the device and the language (of the whole page)."""

    segment: str = ""
    user_id: int | None = None
    arm: str = ""
    country: str = ""
    device: str = ""
    language: str = ""

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = ({"u": self.user_id} if self.user_id is not None
                                else {"s": self.segment})
        for key, value in (("a", self.arm), ("c", self.country), ("d", self.device),
                           ("l", self.language)):
            if value:
                data[key] = value
        return data

    @classmethod
    def from_payload(cls, data: Any) -> Target | None:
        if not isinstance(data, dict):
            return None
        extra = {name: data[key] for key, name in (("a", "arm"), ("c", "country"),
                                                   ("d", "device"), ("l", "language"))
                 if isinstance(data.get(key), str)}
        if isinstance(data.get("u"), int):
            return cls(user_id=data["u"], **extra)
        if isinstance(data.get("s"), str) and data["s"]:
            return cls(segment=data["s"], **extra)
        return None

    def chosen_arm(self, campaign: Any) -> tuple[bool, Any] | None:
        """(control, variant) the previewer chose for ``campaign``, or None (bucketed as
        the visitor would be)."""
        if self.arm == "control":
            return True, None
        variant = next((v for v in campaign.variants if str(v.pk) == self.arm), None)
        return (False, variant) if variant is not None else None


def sign(target: Target) -> str:
    """A token naming ``target``, valid for ``PREVIEW_MAX_AGE`` seconds from now."""
    return signing.dumps(target.payload(), salt=SALT, compress=True)


def unsign(token: str) -> Target | None:
    """The target of a valid, unexpired token; None for an expired or tampered one."""
    try:
        data = signing.loads(token, salt=SALT, max_age=app_settings.PREVIEW_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired is a BadSignature too
        return None
    return Target.from_payload(data)


def preview_url(path: str, target: Target) -> str:
    """``path`` (a local URL, may carry a query) with the signed token of ``target`` added."""
    return with_token(path, sign(target))


def with_token(path: str, token: str) -> str:
    """``path`` (a local URL) with the preview ``token`` in its query."""
    parts = urlsplit(path)
    query = QueryDict(parts.query, mutable=True)
    query[QUERY_PARAM] = token
    return urlunsplit(("", "", parts.path or "/", query.urlencode(), parts.fragment))


def without_token(request: HttpRequest) -> str:
    """The page's URL without the preview token: the normal page."""
    query = request.GET.copy()
    query.pop(QUERY_PARAM, None)
    return request.path + ("?" + urlencode(query, doseq=True) if query else "")


# -- the simulated visitor (shared with ``manage.py explain``) ---------------------------------
#: An anonymous visitor simulated by explain and preview allowed every purpose.
ALL_ALLOWED = frozenset({"necessary", "personalization", "analytics", "marketing"})


def customer_facts(user: Any) -> dict[str, Any]:
    """Facts of ``user`` logged in: his profile snapshot and canonical visitor id (bucket)."""
    from personalization.engine.profiles import snapshot_for_user
    from personalization.models import VisitorProfile
    from personalization.privacy.consent import PERSONALIZATION, state_from_records

    allowed = state_from_records(user).allowed  # what he agreed to, as recorded
    if PERSONALIZATION in allowed:
        profile = snapshot_for_user(user)
        vid = profile.visitor_id
    else:  # no profile is built without his consent
        known = VisitorProfile.objects.filter(user=user).values_list("visitor_id",
                                                                      flat=True).first()
        profile, vid = None, str(known or uuid.uuid4())
    facts = {"user": user, "is_authenticated": True, "profile": profile,
             "state": VisitorState(vid=vid), "allowed_purposes": allowed,
             "remembered": bool(allowed & ID_PURPOSES)}
    # His cart, never the previewer's: an empty one when the shop cannot tell.
    facts["cart"] = get_adapter().customer_cart(user) or CartSnapshot()
    return facts


def anonymous_facts(visitor_id: str) -> dict[str, Any]:
    """Facts of an anonymous visitor with the given visitor id (no account, no profile)."""
    return {"user": None, "is_authenticated": False, "profile": None,
            "state": VisitorState(vid=visitor_id), "allowed_purposes": ALL_ALLOWED,
            "remembered": True}


def new_visitor_id() -> str:
    """A made-up new visitor's id for explain: one outside the global holdout (unless all
    are in it), so what he is shown is the campaigns', not the holdout's default."""
    for _attempt in range(100):
        vid = str(uuid.uuid4())
        if not held_out(vid):
            break
    return vid


def on_page(facts: dict[str, Any], url: str) -> dict[str, Any]:
    """``facts`` (a customer's or a visitor's, with his ``state``) on the page ``url``, as
    explain (the command and the API) simulates it: its path, query and categories (from
    the URL alone: see :func:`~personalization.adapters.categories_of_path`), and its UTM
    parameters as this visit's (and, for a fresh visitor, the first)."""
    parts = urlsplit(url or "/")
    path = parts.path or "/"
    query = dict(parse_qsl(parts.query))  # the last value of a repeated parameter wins
    facts.update(path=path, query=query)
    categories = categories_of_path(path)
    if categories:
        facts["category_ids"] = categories
    facts["state"].record_utm({k: query[f"utm_{k}"][:100] for k in UTM_KEYS
                               if query.get(f"utm_{k}")})
    return facts


def target_facts(target: Target) -> dict[str, Any] | None:
    """The facts a preview of ``target`` simulates, or None when the target no longer exists."""
    if target.user_id is not None:
        user_model = get_user_model()
        user = user_model._default_manager.filter(pk=target.user_id).first()
        if user is None:
            return None
        facts = customer_facts(user)
    else:
        from personalization.engine.rulebook import get_rulebook

        if not any(s.slug == target.segment for s in get_rulebook().segments.values()):
            return None
        vid = str(uuid.uuid5(_SEGMENT_NAMESPACE, target.segment))
        facts = {**anonymous_facts(vid), "segments": {target.segment}}
        # A cart to show the cart and checkout pages with, the same for every previewer;
        # an empty one when the shop gives none, never the previewer's own.
        facts["cart"] = get_adapter().sample_cart() or CartSnapshot()
    if target.country:
        facts["country"] = target.country
    if target.device:
        facts["device"] = target.device
    if target.language:
        facts["language"] = target.language
    return facts


#: What previewing needs: a segment's view permission; a customer's data, its own permission.
SEGMENT_PERMISSION = "personalization.view_segment"
CUSTOMER_PERMISSION = "personalization.preview_as_customer"


def may_preview(user: Any, target: Target) -> bool:
    """Whether this staff member may see the shop as ``target``: a customer's greeting,
    cart, orders and segments are personal data, so previewing him needs its own
    permission; a segment needs the permission to view segments."""
    if user is None or not (user.is_active and user.is_staff):
        return False
    needed = CUSTOMER_PERMISSION if target.user_id is not None else SEGMENT_PERMISSION
    return user.has_perm(needed)


class PreviewContext(VisitorContext):
    """A visitor context with simulated facts; the middleware records and writes nothing."""

    target: Target = Target()  # set by context_for(); nothing chosen when built directly
    title: str
    is_preview = True

    def chosen_arm(self, campaign: Any) -> tuple[bool, Any] | None:
        return self.target.chosen_arm(campaign)


def context_for(request: HttpRequest) -> PreviewContext | None:
    """The preview context for a staff member's request carrying a valid token, else None
    (the request then gets the normal page: a bad link is not an error)."""
    token = request.GET.get(QUERY_PARAM)
    if not token:
        return None
    user = getattr(request, "user", None)
    if user is None or not (user.is_active and user.is_staff):
        return None
    target = unsign(token)
    if target is None:
        logger.info("Ignoring an invalid or expired preview link.")
        return None
    if not may_preview(user, target):
        logger.info("Ignoring a preview link %s may not use.", user.get_username())
        return None
    facts = target_facts(target)
    if facts is None:
        return None
    ctx = PreviewContext(request, **facts)
    ctx.target = target
    # In the staff member's language (the panel's heading: "Preview as customer jan").
    ctx.title = (gettext("customer %(name)s") % {"name": facts["user"].get_username()}
                 if target.user_id is not None
                 else gettext("segment '%(name)s'") % {"name": _segment_name(target.segment)})
    return ctx


def in_chosen_language(ctx: VisitorContext, request: HttpRequest) -> AbstractContextManager:
    """The page of a preview whose language the previewer chose is made in it (the shop's
    own words and the variants' texts alike, as the visitor would read it); the panel,
    added after, stays in the staff member's language. Any other request: as it is (a
    shared do-nothing context, so a visitor's page pays no more than a call)."""
    language = ctx.target.language if isinstance(ctx, PreviewContext) else ""
    return _in_language(request, language) if language else _AS_IS


_AS_IS = nullcontext()


@contextmanager
def _in_language(request: HttpRequest, language: str) -> Iterator[None]:
    own = getattr(request, "LANGUAGE_CODE", None)
    request.LANGUAGE_CODE = language
    try:
        with translation.override(language):
            yield
    finally:
        if own is None:
            del request.LANGUAGE_CODE
        else:
            request.LANGUAGE_CODE = own


def _segment_name(slug: str) -> str:
    from personalization.engine.rulebook import get_rulebook

    return next((s.name for s in get_rulebook().segments.values() if s.slug == slug), slug)


# -- the panel ---------------------------------------------------------------------------------
_DEFAULT_CONTENT = Reason(gettext_noop("default content"))


def outcome(decision: Decision) -> Reason:
    """The decision in one line: campaign and variant, the default, or the holdout (a
    :class:`Reason`: ``str()`` in English for ``explain``, ``in_words()`` for the panel).
    Ids are passed as text, so that they are never written like numbers ("1.234")."""
    campaign = decision.campaign
    if campaign is None:
        return _DEFAULT_CONTENT
    label = Reason(gettext_noop("campaign '{}' (#{})"), (campaign.name, str(campaign.id)))
    if decision.control:
        return Reason(gettext_noop("default content: control (holdout) of {}"), (label,))
    variant = decision.variant
    if variant is None:
        return Reason(gettext_noop("default content ({} has no variant to show)"), (label,))
    return Reason(gettext_noop("{}, variant '{}' (#{})"), (label, variant, str(variant.pk)))


def render_panel(ctx: PreviewContext, request: HttpRequest) -> str:
    """The panel listing each slot's decision and its reasons, in the staff member's
    language (the page's active language)."""
    page = page_of(ctx)
    decisions = page.decisions if page is not None else {}
    rows = [{"slot": slot, "outcome": outcome(d).in_words(), "shows_variant": d.shows_variant,
             "reasons": d.reasons_in_words()} for slot, d in decisions.items()]
    target = ctx.target
    chosen = None  # the variant the previewer chose, and its campaign
    if target.arm and target.arm != "control":
        chosen = next(((variant, campaign) for slot in ctx.rulebook.slots.values()
                       for campaign in slot.campaigns for variant in campaign.variants
                       if str(variant.pk) == target.arm), None)
    return render_to_string("personalization/preview_panel.html", {
        "title": ctx.title, "rows": rows, "exit_url": without_token(request),
        "arm": target.arm, "country": target.country, "device": target.device,
        "language": target.language,
        "variant": chosen[0] if chosen else None, "campaign": chosen[1].name if chosen else "",
        "max_age_minutes": app_settings.PREVIEW_MAX_AGE // 60,
        "panel_language": translation.get_language()})


def finish(ctx: PreviewContext, request: HttpRequest, response: HttpResponse) -> None:
    """Never cached, and the panel of decisions added before ``</body>`` of an HTML page."""
    response["Cache-Control"] = "private, no-store"
    patch_vary_headers(response, ("Cookie",))
    if ctx.target.language:  # the page's (LocaleMiddleware sets it only where none is)
        response["Content-Language"] = ctx.target.language
    location = response.get("Location", "")
    if 300 <= response.status_code < 400 and location.startswith("/") \
            and url_has_allowed_host_and_scheme(location, None):
        # The shop sends the page elsewhere (an empty cart's checkout): the preview goes too.
        response["Location"] = with_token(location, request.GET[QUERY_PARAM])
        return
    if response.streaming or "html" not in response.get("Content-Type", ""):
        return
    content = response.content
    end = content.lower().rfind(b"</body>")
    if end == -1:
        return
    panel = render_panel(ctx, request).encode(response.charset or "utf-8")
    response.content = content[:end] + panel + content[end:]
    if response.has_header("Content-Length"):
        response["Content-Length"] = str(len(response.content))
