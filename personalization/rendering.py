"""Rendering decisions: variant templates wrapped in the ``data-pz-*`` slot element."""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import caches
from django.template.loader import render_to_string
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

from .conf import app_settings
from .decide import Decision
from .html import insert_fields, safe_html

logger = logging.getLogger(__name__)


def slot_attrs(slot: str, decision: Decision | None) -> SafeString:
    """``data-pz-slot`` plus, when a campaign won, its campaign and variant (or control)."""
    attrs = [("data-pz-slot", slot)]
    if decision is not None and decision.campaign is not None:
        attrs.append(("data-pz-campaign", str(decision.campaign_id)))
        if decision.control:
            attrs.append(("data-pz-control", "1"))
        elif decision.variant is not None:
            attrs.append(("data-pz-variant", str(decision.variant_id)))
    return format_html_join(" ", '{}="{}"', attrs)


def render_decision(decision: Decision, ctx: Any, request: Any = None) -> SafeString | None:
    """The variant's markup, or None when it has nothing to say to this visitor (a text
    whose inserted field he lacks): the slot then shows its default content."""
    variant = decision.variant
    context = {
        "variant": variant,
        "decision": decision,
        "attrs": slot_attrs(decision.slot, decision),
        "slot": decision.slot,
        "request": request,
    }
    kind = decision.slot_kind
    if kind in ("banner", "popup"):
        context["body"] = safe_html(variant.body)
    elif kind == "text":
        context["text"] = text_for(decision, ctx)
        if context["text"] is None:
            return None
    elif kind == "discount":
        context["code"] = discount_code_for(decision, ctx)
    elif kind == "product_list":
        from .recommend import products_for

        context["items"] = products_for(decision, ctx, None, None)
    return mark_safe(render_to_string(variant.template_name, context))  # noqa: S308


def text_for(decision: Decision | None, ctx: Any) -> SafeString | None:
    """A text variant with the visitor's fields inserted, its fallback, or None (default)."""
    if decision is None or not decision.shows_variant or ctx is None:
        return None
    variant = decision.variant
    values = ctx.text_fields()
    text = insert_fields(variant.text, values)
    if text is None and variant.fallback:
        text = insert_fields(variant.fallback, values)
    return text


def discount_code_for(decision: Decision, ctx: Any) -> str:
    """The code to prefill: the fixed one, or this visitor's own single-use code."""
    variant = decision.variant
    if variant is None or decision.slot_kind != "discount":
        return ""
    if variant.mode == "fixed":
        return variant.code
    cache = caches[app_settings.CACHE_ALIAS]
    key = f"pz:code:{variant.pk}:{ctx.bucket_id}"
    code = cache.get(key)
    if code is None:
        from .adapters import get_adapter

        user = ctx.user if ctx.is_authenticated else None
        try:
            code = get_adapter().create_discount_code(
                prefix=f"PZ{variant.campaign_id}", percent=variant.percent,
                amount=variant.amount, valid_days=variant.valid_days, single_use=True,
                user=user)
        except Exception:
            logger.exception("Could not create a discount code for variant %s", variant.pk)
            return ""
        cache.set(key, code, variant.valid_days * 86400)
    return code
