"""Template tags: thin front-ends over ``personalization.decide``."""

from __future__ import annotations

import logging
from typing import Any

from django import template
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from ..decide import Decision, choose
from ..rendering import discount_code_for, render_decision, slot_attrs, text_for

register = template.Library()
logger = logging.getLogger(__name__)


def _ctx(context: template.Context) -> Any:
    request = context.get("request")
    return getattr(request, "visitor", None) if request is not None else None


def decide_in(context: template.Context, slot: str) -> Decision | None:
    ctx = _ctx(context)
    if ctx is None:
        logger.warning("No request.visitor for slot %r: is PersonalizationMiddleware "
                       "installed and the request context processor enabled?", slot)
        return None
    return choose(slot, ctx)


class PersonalizeNode(template.Node):
    def __init__(self, slot: template.base.FilterExpression, nodelist: template.NodeList):
        self.slot = slot
        self.nodelist = nodelist

    def render(self, context: template.Context) -> SafeString:
        key = str(self.slot.resolve(context))
        decision = decide_in(context, key)
        if decision is not None and decision.shows_variant:
            try:
                html = render_decision(decision, _ctx(context), context.get("request"))
            except Exception:  # a broken variant never breaks the page
                logger.exception("Rendering variant %s of slot %r failed",
                                 decision.variant_id, key)
                html = None
            if html is not None:
                return html
        default = self.nodelist.render(context)
        return format_html("<div {}>{}</div>", slot_attrs(key, decision), mark_safe(default))


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
    decision = decide_in(context, slot)
    html = None
    if decision is not None and decision.shows_variant:
        try:
            html = render_decision(decision, _ctx(context), context.get("request"))
        except Exception:  # a broken popup never breaks the page
            logger.exception("Rendering popup %s of slot %r failed", decision.variant_id, slot)
    return html if html is not None else format_html("<div {} hidden></div>",
                                                      slot_attrs(slot, decision))


@register.simple_tag(takes_context=True)
def discount_code(context: template.Context, slot: str) -> str:
    """``{% discount_code "slot" as code %}``: the code to prefill for this visitor, or ""."""
    decision = decide_in(context, slot)
    if decision is None or not decision.shows_variant:
        return ""
    return discount_code_for(decision, _ctx(context))


@register.simple_tag(takes_context=True)
def personalized_products(context: template.Context, slot: str, products: Any = None,
                          limit: int | None = None) -> list:
    """``{% personalized_products "slot" [products] limit=N as items %}``."""
    from ..recommend import products_for

    decision = decide_in(context, slot)
    return products_for(decision, _ctx(context), products, limit)


@register.simple_tag(takes_context=True)
def greeting(context: template.Context, slot: str = "greeting",
             default: str = "") -> SafeString:
    """``{% greeting "slot" default="Welcome!" %}``: a text variant with field insertion."""
    decision = decide_in(context, slot)
    text = text_for(decision, _ctx(context)) if decision is not None else None
    if text is None:
        return format_html("<span {}>{}</span>", slot_attrs(slot, decision), default)
    return format_html('<span {}>{}</span>', slot_attrs(slot, decision), text)


@register.simple_tag(takes_context=True)
def personalization_script(context: template.Context) -> SafeString:
    """The small script that opens popups and reports clicks and dismissals.

    Put it after the slots (e.g. at the end of ``<body>``). When a campaign showed on the
    page and ``personalization.urls`` is included, the script gets the endpoints and a CSRF
    token to report dismissals and clicks."""
    ctx = _ctx(context)
    request = context.get("request")
    values: dict[str, str] = {}
    if ctx is not None and ctx.impressions and request is not None:
        try:
            values = {"dismiss_url": reverse("personalization:dismiss"),
                      "click_url": reverse("personalization:click"),
                      "csrf": get_token(request)}
        except NoReverseMatch:
            values = {}
    return mark_safe(render_to_string("personalization/script.html", values))  # noqa: S308


@register.simple_tag(takes_context=True)
def slot_attributes(context: template.Context, slot: str) -> SafeString:
    """``<div {% slot_attributes "slot" %}>``: the data-pz-* attributes of a slot whose markup
    the template writes itself (product lists, the checkout's discount field)."""
    return slot_attrs(slot, decide_in(context, slot))
