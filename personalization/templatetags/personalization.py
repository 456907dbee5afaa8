"""Template tags: thin front-ends over ``personalization.engine.decide``."""

from __future__ import annotations

import logging
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.conf import settings
from django.middleware.csrf import get_token
from django.template.loader import get_template, render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from personalization.engine.decide import Decision, choose, page_of
from personalization.measurement.events import buffer_events
from personalization.touchpoints import unknown_slots
from personalization.touchpoints.interactions import custom_event
from personalization.touchpoints.preview import PreviewContext
from personalization.touchpoints.rendering import (
    discount_code_for,
    render_decision,
    slot_attrs,
    text_for,
)

register = template.Library()
logger = logging.getLogger(__name__)


def _visitor(context: template.Context) -> tuple[Any, Any]:
    """(request, request.visitor), looked up in the template context once per tag."""
    request = context.get("request")
    return request, getattr(request, "visitor", None) if request is not None else None


def _ctx(context: template.Context) -> Any:
    return _visitor(context)[1]


def decide_in(context: template.Context, slot: str, ctx: Any = None) -> Decision | None:
    ctx = ctx if ctx is not None else _ctx(context)
    if ctx is None:
        logger.warning("No request.visitor for slot %r: is PersonalizationMiddleware "
                       "installed and the request context processor enabled?", slot)
        return None
    decision = choose(slot, ctx)
    try:
        unknown_slots.note(slot, ctx.rulebook)
    except Exception:  # noting a typo never breaks the page
        logger.exception("Could not note slot %r", slot)
    return decision


class PersonalizeNode(template.Node):
    def __init__(self, slot: template.base.FilterExpression, nodelist: template.NodeList):
        self.slot = slot
        self.nodelist = nodelist

    def render(self, context: template.Context) -> SafeString:
        key = str(self.slot.resolve(context))
        request, ctx = _visitor(context)
        decision = decide_in(context, key, ctx)
        if decision is not None and decision.shows_variant:
            try:
                html = render_decision(decision, ctx, request)
            except Exception:  # a broken variant never breaks the page
                logger.exception("Rendering variant %s of slot %r failed",
                                 decision.variant_id, key)
                html = None
            if html is not None:
                return html
        default = self.nodelist.render(context)
        return format_html("<div {}>{}</div>", slot_attrs(key, decision, ctx),
                           mark_safe(default))


@register.tag
def personalize(parser: template.base.Parser, token: template.base.Token) -> PersonalizeNode:
    """``{% personalize "slot" %}default content{% endpersonalize %}``"""
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError(f"{bits[0]} takes exactly one argument: the slot.")
    nodelist = parser.parse(("endpersonalize",))
    parser.delete_first_token()
    return PersonalizeNode(parser.compile_filter(bits[1]), nodelist)


@register.simple_tag(takes_context=True)
def personalize_popup(context: template.Context, slot: str) -> SafeString:
    """``{% personalize_popup "slot" %}``: the winning popup, or nothing."""
    request, ctx = _visitor(context)
    decision = decide_in(context, slot, ctx)
    html = None
    if decision is not None and decision.shows_variant:
        try:
            html = render_decision(decision, ctx, request)
        except Exception:  # a broken popup never breaks the page
            logger.exception("Rendering popup %s of slot %r failed", decision.variant_id, slot)
    if html is None and decision is not None and decision.control:
        # Held out: nothing shows, but the script reports when the popup would have (the
        # trigger of the variant he would have seen), so both arms count the same moment.
        variant = decision.campaign.pick_variant(ctx.bucket_id)
        return format_html('<div class="pz-popup" {} data-pz-trigger="{}" data-pz-delay="{}" '
                           'data-pz-scroll="{}" hidden></div>', slot_attrs(slot, decision, ctx),
                           variant.trigger, variant.delay_seconds, variant.scroll_percent)
    return html if html is not None else format_html("<div {} hidden></div>",
                                                      slot_attrs(slot, decision, ctx))


@register.simple_tag(takes_context=True)
def discount_code(context: template.Context, slot: str) -> str:
    """``{% discount_code "slot" as code %}``: the code to prefill for this visitor, or ""."""
    ctx = _ctx(context)
    decision = decide_in(context, slot, ctx)
    if decision is None or not decision.shows_variant:
        return ""
    return discount_code_for(decision, ctx)


@register.simple_tag(takes_context=True)
def personalized_products(context: template.Context, slot: str, products: Any = None,
                          limit: int | None = None, source: Any = None) -> list:
    """``{% personalized_products "slot" [products] limit=N [source=product] as items %}``.

    ``products`` is the page's own list (shown when no campaign wins, re-sorted by the
    affinity strategy); ``source`` the product(s) the page is about, for "frequently bought
    together". Items of "buy again" carry ``usual_quantity`` when the shop knows it."""
    from personalization.touchpoints.recommend import products_for

    ctx = _ctx(context)
    decision = decide_in(context, slot, ctx)
    return products_for(decision, ctx, products, limit, source)


@register.simple_tag(takes_context=True)
def slot_title(context: template.Context, slot: str) -> str:
    """``{% slot_title "slot" as title %}``: the winning variant's title (a product list's
    heading, a popup's title), or "" when the slot shows its default."""
    decision = decide_in(context, slot)
    if decision is None or not decision.shows_variant:
        return ""
    return str(getattr(decision.variant, "title", "") or "")


@register.simple_tag
def social_proof(product: Any, days: int = 7) -> int:
    """``{% social_proof product as n %}``: how many orders contained ``product`` in the
    last ``days`` days, from the shop's orders (cached per product for a few minutes, so a
    warm page makes no query). The same for every visitor: no decision is involved."""
    from personalization.touchpoints.social import times_bought

    pk = getattr(product, "pk", product)
    return times_bought(int(pk), days) if pk is not None else 0


@register.simple_tag(takes_context=True)
def greeting(context: template.Context, slot: str = "greeting",
             default: str = "") -> SafeString:
    """``{% greeting "slot" default="Welcome!" %}``: a text variant with field insertion."""
    ctx = _ctx(context)
    decision = decide_in(context, slot, ctx)
    text = text_for(decision, ctx) if decision is not None else None
    if text is None:
        return format_html("<span {}>{}</span>", slot_attrs(slot, decision, ctx), default)
    return format_html('<span {}>{}</span>', slot_attrs(slot, decision, ctx), text)


@register.simple_tag
def personalization_styles() -> SafeString:
    """``<link>`` to the app's plain default styles for banners, popups and the consent
    banner (put it in ``<head>``), for a shop that does not style them itself."""
    from django.templatetags.static import static

    return format_html('<link rel="stylesheet" href="{}">', static("personalization/pz.css"))


@register.simple_tag(takes_context=True)
def personalization_script(context: template.Context) -> SafeString:
    """The small script that opens popups and reports clicks and dismissals.

    Put it after the slots (e.g. at the end of ``<body>``). When a campaign showed on the
    page and the API (``personalization.api.urls``) is included, the script gets its
    ``events/`` endpoint and a CSRF token to report displays, dismissals and clicks."""
    request, ctx = _visitor(context)
    # A staff preview records nothing, so its page gets no endpoints to report to.
    page = page_of(ctx) if ctx is not None else None
    reports = bool(page is not None and page.exposures and request is not None
                   and not isinstance(ctx, PreviewContext))
    cookie = _readable_csrf_cookie(request) if reports else None
    values: dict[str, str] = {}
    if reports:
        try:
            values = {"events_url": reverse("personalization_api:events")}
        except NoReverseMatch:
            values = {}
    if values and cookie is None:
        values["csrf"] = _page_csrf_token(context, request)
    else:
        values["csrf_cookie"] = cookie or ""
    return mark_safe(get_template("personalization/script.html").render(values))  # noqa: S308


def _page_csrf_token(context: template.Context, request: Any) -> str:
    """The CSRF token itself, masked: the one the page's forms got from the ``csrf``
    context processor when there is one (masked once per page, not again for the script),
    else a new one."""
    token = str(context.get("csrf_token") or "")
    return token if token and token != "NOTPROVIDED" else get_token(request)


def _readable_csrf_cookie(request: Any) -> str | None:
    """The CSRF cookie's name when the browser holds a valid one the script may read (as
    Django's documentation recommends for scripts); None when the token must be written
    into the page instead (no cookie yet, HttpOnly, or kept in the session)."""
    if settings.CSRF_USE_SESSIONS or settings.CSRF_COOKIE_HTTPONLY:
        return None
    name = settings.CSRF_COOKIE_NAME
    secret = request.META.get("CSRF_COOKIE")
    if not secret or request.COOKIES.get(name) != secret:
        return None
    return name


@register.simple_tag(takes_context=True)
def slot_attributes(context: template.Context, slot: str) -> SafeString:
    """``<div {% slot_attributes "slot" %}>``: the data-pz-* attributes of a slot whose markup
    the template writes itself (product lists, the checkout's discount field)."""
    ctx = _ctx(context)
    return slot_attrs(slot, decide_in(context, slot, ctx), ctx)


@register.simple_tag(takes_context=True)
def consent_banner(context: template.Context) -> SafeString:
    """``{% consent_banner %}``: the privacy choices, shown until the visitor has chosen
    under the current policy (a plain form: works without JavaScript). Not in a staff
    preview: the visitor previewed has chosen (his popups open as they would for him)."""
    from personalization.privacy.consent import purposes

    request = context.get("request")
    ctx = _ctx(context)
    if ctx is None or ctx.is_preview or ctx.consent.decided:
        return mark_safe("")
    if request is not None and getattr(request.resolver_match, "view_name", "") == \
            "personalization:consent":
        return mark_safe("")  # the privacy page is the same form: not twice on one page
    allowed = ctx.consent.allowed
    return mark_safe(render_to_string(  # noqa: S308  (an autoescaped template)
        "personalization/consent_banner.html",
        {"purposes": [{"purpose": p, "granted": p.required or p.key in allowed}
                      for p in purposes()],
         "next": request.get_full_path()}, request=request))


GOAL_NAME = re.compile(r"^[a-z0-9_.-]{1,64}$")


@register.simple_tag(takes_context=True)
def pz_goal(context: template.Context, name: str, value: Any = None) -> str:
    """``{% pz_goal "newsletter_signup" value=2 %}`` on the page that shows a goal was
    reached (a thank-you page): records the shop's custom event ``name`` for this visitor,
    with analytics consent, as the events API does; an experiment whose decision metric is
    this goal counts it. Renders nothing; a bad name or value is logged, never raised."""
    ctx = _ctx(context)
    if ctx is None:
        return ""
    if not isinstance(name, str) or not GOAL_NAME.match(name):
        logger.warning("pz_goal: %r is not an event name (1 to 64 of a-z 0-9 . - _)", name)
        return ""
    amount = None
    if value not in (None, ""):
        try:
            amount = Decimal(str(value)).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            logger.warning("pz_goal %s: the value %r is not a number", name, value)
            return ""
        if not amount.is_finite() or amount < 0:
            logger.warning("pz_goal %s: the value %r is negative", name, value)
            return ""
    row = custom_event(ctx, name, value=amount)  # None without analytics consent
    if row is not None:
        buffer_events([row])  # with the page's impressions: no query on the page
    return ""
