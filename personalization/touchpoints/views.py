"""Small endpoints the bundled script calls: a popup was shown, dismissed or clicked."""

from __future__ import annotations

import time

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from personalization.engine.decide import DEFERRED_KINDS, arm_of
from personalization.measurement.event_rows import event_row
from personalization.measurement.events import buffer_events
from personalization.privacy.consent import ANALYTICS


def find_campaign(ctx, campaign_id: object):
    """The live campaign with this id (from the in-memory RuleBook), or None."""
    try:
        campaign_id = int(campaign_id)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if ctx is None:
        return None
    for slot in ctx.rulebook.slots.values():
        for campaign in slot.campaigns:
            if campaign.id == campaign_id:
                return campaign
    return None


def record_interaction(ctx, campaign, event_type: str, variant_id: object = None) -> bool:
    """Buffer a click or dismissal of ``campaign`` (with analytics consent only; a variant
    id that is not the campaign's is dropped); returns whether it was recorded."""
    if not ctx.has_consent(ANALYTICS):
        return False  # without analytics consent nothing is recorded
    try:
        variant_id = int(variant_id)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        variant_id = None
    user = ctx.user
    buffer_events([event_row(
        visitor_id=ctx.bucket_id, type=event_type, slot=campaign.slot_key,
        user_id=user.pk if user is not None and user.is_authenticated else None,
        campaign_id=campaign.id,
        variant_id=variant_id if variant_id in {v.pk for v in campaign.variants} else None)])
    return True


def dismiss_campaign(ctx, campaign) -> None:
    """The visitor closed the campaign: it stays away for its cap period, remembered in the
    signed caps cookie (the middleware writes it on the way out)."""
    ctx.caps.dismiss(campaign.id, campaign.cap_period_hours, int(time.time()))


def _campaign(request: HttpRequest):
    return find_campaign(getattr(request, "visitor", None), request.POST.get("campaign"))


def _answer(request: HttpRequest) -> HttpResponse:
    """204 for the script; a redirect back for a plain form post (no JavaScript)."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return HttpResponse(status=204)


@require_POST
def dismiss(request: HttpRequest) -> HttpResponse:
    """The visitor closed a campaign's content (a popup): it stays away for the campaign's
    cap period (24 hours unless set otherwise), remembered in the signed caps cookie, and a
    ``dismiss`` event is recorded. POST ``campaign`` (id) and optionally ``variant``."""
    campaign = _campaign(request)
    if campaign is None:
        return HttpResponseBadRequest("Unknown campaign.")
    dismiss_campaign(request.visitor, campaign)
    record_interaction(request.visitor, campaign, "dismiss", request.POST.get("variant"))
    return _answer(request)


@require_POST
def click(request: HttpRequest) -> HttpResponse:
    """The visitor followed a campaign's link: a ``click`` event is recorded."""
    campaign = _campaign(request)
    if campaign is None:
        return HttpResponseBadRequest("Unknown campaign.")
    record_interaction(request.visitor, campaign, "click", request.POST.get("variant"))
    return _answer(request)


@require_POST
def shown(request: HttpRequest) -> HttpResponse:
    """The script showed a popup (or, for a visitor held out, reached the moment it would
    have): the exposure is recorded now, and counts toward the frequency cap. The arm is
    worked out here again from the visitor's bucket, whatever the page claimed. POST
    ``campaign`` (id)."""
    campaign = _campaign(request)
    ctx = getattr(request, "visitor", None)
    slot = ctx.rulebook.slots.get(campaign.slot_key) if campaign is not None else None
    if slot is None or slot.kind not in DEFERRED_KINDS:
        return HttpResponseBadRequest("Unknown campaign.")
    control, variant = arm_of(campaign, ctx)
    if campaign.cap_impressions is not None:  # the middleware writes the caps cookie
        ctx.caps.add(campaign.id, campaign.cap_period_hours, int(time.time()))
    if ctx.has_consent(ANALYTICS):  # without analytics consent nothing is recorded
        user = ctx.user
        buffer_events([event_row(
            visitor_id=ctx.bucket_id, type="impression", slot=slot.key,
            user_id=user.pk if user is not None and user.is_authenticated else None,
            campaign_id=campaign.id, control=control,
            variant_id=variant.pk if variant is not None and not control else None)])
    return HttpResponse(status=204)
