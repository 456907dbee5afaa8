"""Rendering decisions: variant templates wrapped in the ``data-pz-*`` slot element."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import get_template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from personalization.adapters import get_adapter
from personalization.cache import app_cache
from personalization.conf import app_settings
from personalization.engine.decide import Decision, choose
from personalization.html import insert_fields, safe_html
from personalization.models import IssuedCode
from personalization.privacy.consent import PERSONALIZATION
from personalization.touchpoints.exposure import exposure_token

logger = logging.getLogger(__name__)


def slot_attrs(slot: str, decision: Decision | None, ctx: Any = None) -> SafeString:
    """``data-pz-slot`` plus, when a campaign won, its campaign and variant (or control),
    and with ``ctx`` the visitor's exposure token (``data-pz-token``), which the script
    sends back with what he does with the content."""
    attrs = _shared_attrs(slot, decision)
    token = exposure_token(ctx, decision)
    return attrs + token_attr(token) if token else attrs


def token_attr(token: str | None) -> SafeString:
    """`` data-pz-token="…"``, or nothing."""
    return format_html(' data-pz-token="{}"', token) if token else mark_safe("")


def _shared_attrs(slot: str, decision: Decision | None) -> SafeString:
    """The attributes every visitor served the same gets."""
    attrs = format_html('data-pz-slot="{}"', slot)
    if decision is None or decision.campaign is None:
        return attrs
    attrs += format_html(' data-pz-campaign="{}"', decision.campaign.id)
    if decision.control:
        return attrs + mark_safe(' data-pz-control="1"')
    if decision.variant_id is not None:
        attrs += format_html(' data-pz-variant="{}"', decision.variant_id)
    return attrs


@dataclass
class Personal:
    """What a shown variant holds for this visitor in particular: a text's words with his
    fields in, a discount's code, a product list's products. Worked out once per decision
    (a discount code may be made for him), for the markup and the API's fields alike."""

    text: SafeString | None = None
    code: str = ""
    items: list | None = None


def personal_part(decision: Decision, ctx: Any) -> Personal:
    """The visitor's own part of a shown variant (nothing for a banner or popup)."""
    kind = decision.slot_kind
    if kind == "text":
        return Personal(text=text_for(decision, ctx))
    if kind == "discount":
        return Personal(code=discount_code_for(decision, ctx))
    if kind == "product_list":
        from personalization.touchpoints.recommend import products_for

        return Personal(items=products_for(decision, ctx, None, None))
    return Personal()


def render_decision(decision: Decision, ctx: Any, request: Any = None,
                    personal: Personal | None = None) -> SafeString | None:
    """The variant's markup, or None when it has nothing to say to this visitor (a text
    whose inserted field he lacks): the slot then shows its default content. ``personal``:
    the visitor's part when the caller has worked it out already."""
    variant = decision.variant
    kind = decision.slot_kind
    if kind in ("banner", "popup"):
        # The same for every visitor who sees it, but for his exposure token.
        return _with_token(_static_markup(decision, ctx), decision, ctx)
    if personal is None:
        personal = personal_part(decision, ctx)
    text = personal.text
    if kind == "text":
        if text is None:
            return None
        markup = _static_markup(decision, ctx)
        if markup.count(TEXT_TOKEN) == 1:  # only the visitor's (escaped) text varies
            return _with_token(mark_safe(markup.replace(TEXT_TOKEN, text, 1)),  # noqa: S308
                               decision, ctx)
    attrs = slot_attrs(decision.slot, decision, ctx)
    context = {"variant": variant, "decision": decision, "attrs": attrs,
               "slot": decision.slot, "request": request}
    if kind == "text":
        context["text"] = text  # a template that transforms the text: rendered per visitor
    elif kind == "discount":
        context["code"] = personal.code
    elif kind == "product_list":
        context["items"] = personal.items
    return mark_safe(get_template(variant.template_name).render(context))  # noqa: S308


#: Stands where a text variant's template puts ``{{ text }}`` in markup rendered ahead of
#: time.
TEXT_TOKEN = "\x00pz-text\x00"
#: Stands where the visitor's exposure token goes in markup rendered ahead of time.
_TOKEN_MARK = ' data-pz-token="\x00pz-exposure\x00"'


def _with_token(markup: SafeString, decision: Decision, ctx: Any) -> SafeString:
    """Markup rendered ahead of time with the visitor's exposure token put in."""
    token = token_attr(exposure_token(ctx, decision))
    return mark_safe(markup.replace(_TOKEN_MARK, token))  # noqa: S308  (escaped token)


def _static_markup(decision: Decision, ctx: Any) -> SafeString:
    """A shown banner's, popup's or text's markup (a text's with a token for the text, and
    each with a mark where the visitor's exposure token goes), rendered once per variant,
    slot and language while the RuleBook that holds the variant is in use; the template's
    own words, such as "Close", are translated. The template sees ``variant``, ``slot``,
    ``attrs`` and ``body`` (banner, popup) or ``text``; not the request: it is the same for
    every visitor."""
    variant, slot = decision.variant, decision.slot
    key = (variant.pk, slot, get_language())
    markup = _prerendered(ctx.rulebook.version)
    if key in markup and not settings.DEBUG:
        return markup[key]
    context = {"variant": variant, "slot": slot,
               "attrs": slot_attrs(slot, decision) + mark_safe(_TOKEN_MARK)}  # noqa: S308
    if decision.slot_kind == "text":
        context["text"] = mark_safe(TEXT_TOKEN)  # noqa: S308
    else:
        context["body"] = safe_html(variant.body)
    html = markup[key] = mark_safe(get_template(variant.template_name).render(context))  # noqa: S308
    return html


#: Markup rendered ahead of time, for the RuleBook in use only (another version's variants
#: may say something else): {RuleBook version: {(variant id, slot, language): markup}}. Kept
#: here, not on the RuleBook's variants: nothing writes into the RuleBook.
_PRERENDERED: dict[str, dict[tuple, SafeString]] = {}


def _prerendered(version: str) -> dict[tuple, SafeString]:
    markup = _PRERENDERED.get(version)
    if markup is None:
        _PRERENDERED.clear()
        markup = _PRERENDERED.setdefault(version, {})
    return markup



def text_for(decision: Decision | None, ctx: Any) -> SafeString | None:
    """A text variant with the visitor's fields inserted, its fallback, or None (default)."""
    if decision is None or not decision.shows_variant or ctx is None:
        return None
    variant = decision.variant
    values = text_fields(ctx)
    text = insert_fields(variant.text, values)
    if text is None and variant.fallback:
        text = insert_fields(variant.fallback, values)
    return text


def text_fields(ctx: Any) -> dict[str, str]:
    """Values a text variant may insert about the visitor (allow-listed in TEXT_FIELDS)."""
    allowed = app_settings.TEXT_FIELDS
    values: dict[str, str] = {}
    if PERSONALIZATION not in ctx.allowed_purposes:  # his name is personal data
        if "country" in allowed and ctx.country:
            values["country"] = ctx.country
        return values
    profile = ctx.profile
    if profile is not None:
        values.update({k: v for k, v in profile.fields.items() if k in allowed})
    user = ctx.user
    if user is not None and getattr(user, "is_authenticated", False):
        for name in allowed:
            if not values.get(name) and getattr(user, name, ""):
                values[name] = str(getattr(user, name))
    if "country" in allowed and not values.get("country") and ctx.country:
        values["country"] = ctx.country
    return values


#: What a staff preview shows where a visitor would get a single-use code of his own (a
#: preview makes no real codes); a shop's checkout should not validate it.
PREVIEW_CODE = "PREVIEW-CODE"


def discount_code_for(decision: Decision, ctx: Any) -> str:
    """The code to prefill: the fixed one, or this visitor's own single-use code."""
    variant = decision.variant
    if variant is None or decision.slot_kind != "discount":
        return ""
    if variant.mode == "fixed":
        return variant.code
    if ctx.is_preview:  # a preview must not make real codes in the shop
        return PREVIEW_CODE
    if not ctx.is_authenticated and not ctx.remembered:
        return ""  # a code of his own needs a visitor we can recognise on the next page
    cache = app_cache()
    key = _code_key(variant.pk, _holder(ctx))
    code = cache.get(key)
    if code is None:
        code = _issued_code(variant, ctx)
        # "" once his code is spent: he is not offered another.
        cache.set(key, code, variant.valid_days * 86400)
    return code


def _code_key(variant_id: int, holder: str) -> str:
    return f"pz:code:{variant_id}:{holder}"


def _holder(ctx: Any) -> str:
    """Whose code it is: the customer's (on every device), else the remembered visitor's."""
    return f"user{ctx.user.pk}" if ctx.is_authenticated else str(ctx.bucket_id)


def _issued_code(variant: Any, ctx: Any) -> str:
    """The visitor's code from the database, or a new one made by the shop and kept there:
    another process, or the same one after a cache flush, gives him the same code."""
    now = timezone.now()
    user = ctx.user if ctx.is_authenticated else None
    mine = IssuedCode.objects.filter(variant=variant, expires_at__gt=now)
    issued = (mine.filter(user=user) if user is not None
              else mine.filter(visitor_id=ctx.bucket_id)).first()
    if issued is not None:
        return "" if issued.used_at is not None else issued.code
    try:
        code = get_adapter().create_discount_code(
            prefix=f"PZ{variant.campaign_id}", percent=variant.percent,
            amount=variant.amount, valid_days=variant.valid_days, single_use=True, user=user)
    except Exception:
        logger.exception("Could not create a discount code for variant %s", variant.pk)
        return ""
    expires = now + timedelta(days=variant.valid_days)
    try:
        with transaction.atomic():
            IssuedCode.objects.update_or_create(
                variant=variant, visitor_id=ctx.bucket_id,
                defaults={"code": code, "user": user, "expires_at": expires})
    except IntegrityError:  # another process made his code at the same moment: use that
        return IssuedCode.objects.get(variant=variant, visitor_id=ctx.bucket_id).code
    return code


def mark_codes_used(codes: list[str]) -> int:
    """An order was placed with these codes: the visitors' single-use codes among them are
    spent, and after commit their cached answers are dropped (they are offered none again).
    Returns how many issued codes were marked."""
    wanted = {str(c) for c in codes if c} | {str(c).upper() for c in codes if c}
    if not wanted:
        return 0
    rows = list(IssuedCode.objects.filter(code__in=wanted, used_at__isnull=True)
                .values_list("pk", "variant_id", "visitor_id", "user_id"))
    if not rows:
        return 0
    IssuedCode.objects.filter(pk__in=[r[0] for r in rows]).update(used_at=timezone.now())
    keys = [_code_key(variant, str(visitor)) for _pk, variant, visitor, _user in rows]
    keys += [_code_key(variant, f"user{user}") for _pk, variant, _v, user in rows if user]
    transaction.on_commit(lambda: app_cache().delete_many(keys))
    return len(rows)


def prefilled_code(request: Any, slot: str) -> str:
    """The discount code the ``slot`` prefills for this request's visitor, or "": for a
    shop's checkout view, so its own validation and totals apply to the code from the
    first view. The same as ``{% discount_code slot %}`` in a template."""
    ctx = getattr(request, "visitor", None)
    if ctx is None:
        return ""
    decision = choose(slot, ctx)
    return discount_code_for(decision, ctx) if decision.shows_variant else ""

