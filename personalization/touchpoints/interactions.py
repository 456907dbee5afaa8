"""What a visitor did with a campaign's content after the page was rendered: saw a popup,
clicked, dismissed; and the shop's own custom events. One implementation for the API's
``events/`` endpoint (which the bundled script reports to) and the no-JavaScript dismiss form.

Everything is recorded only with the visitor's analytics consent. The functions below give
each event's row; :func:`record` writes a request's rows to the database in one INSERT
before the client is told they were accepted (so no restart of the cache loses them,
unlike the impressions a page records, which are buffered). A dismissal and a popup's
display also change the visitor's caps cookie, which the middleware writes on the way out,
consent or not (they are what he asked for).

Only engagement with content this visitor was served counts: each display, click or
dismissal carries the exposure token of the slot it happened in (:mod:`.exposure`), and one
without a valid token of his is dropped. The same event repeated within
``EVENT_REPEAT_WINDOW`` seconds counts once."""

from __future__ import annotations

import logging
import time
from decimal import Decimal
from typing import Any, NamedTuple

from personalization.cache import app_cache, cache_is_down, mark_down
from personalization.conf import app_settings
from personalization.engine.decide import DEFERRED_KINDS, arm_of
from personalization.measurement.event_rows import event_row, record_events
from personalization.privacy.consent import ANALYTICS
from personalization.touchpoints.exposure import Exposure, verify_token

logger = logging.getLogger(__name__)


def find_campaign(ctx: Any, campaign_id: object) -> Any:
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


def shown_by_script(ctx: Any, campaign: Any) -> bool:
    """Whether the campaign's content is shown by the script (a popup), so that its
    exposure is reported when it opens rather than recorded when the page is rendered."""
    slot = ctx.rulebook.slots.get(campaign.slot_key)
    return slot is not None and slot.kind in DEFERRED_KINDS


def _row(ctx: Any, **fields: Any) -> dict[str, Any] | None:
    if not ctx.has_consent(ANALYTICS):
        return None  # without analytics consent nothing is recorded
    user = ctx.user
    return event_row(
        visitor_id=ctx.bucket_id,
        user_id=user.pk if user is not None and user.is_authenticated else None, **fields)


def record(rows: list[dict[str, Any] | None]) -> int:
    """Write the events of a request (None: not recorded, no consent) to the database, in
    one INSERT; returns how many were recorded."""
    return record_events([row for row in rows if row is not None])


def variant_of(campaign: Any, variant_id: object) -> int | None:
    """The variant id if it is one of the campaign's, else None."""
    try:
        variant_id = int(variant_id)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return variant_id if variant_id in {v.pk for v in campaign.variants} else None


def interaction_event(ctx: Any, campaign: Any, event_type: str,
                      variant_id: object = None) -> dict[str, Any] | None:
    """A ``click`` or ``dismiss`` of ``campaign`` (a variant id that is not the campaign's
    is dropped), to :func:`record`."""
    return _row(ctx, type=event_type, slot=campaign.slot_key, campaign_id=campaign.id,
                   variant_id=variant_of(campaign, variant_id))


def dismiss_campaign(ctx: Any, campaign: Any) -> None:
    """The visitor closed the campaign: it stays away for its cap period, remembered in the
    signed caps cookie (the middleware writes it on the way out)."""
    ctx.caps.dismiss(campaign.id, campaign.cap_period_hours, int(time.time()))


def view_event(ctx: Any, campaign: Any) -> dict[str, Any] | None:
    """The script showed a popup (or, for a visitor held out, reached the moment it would
    have): the exposure, to :func:`record`; it counts toward the frequency cap now. The arm
    is worked out again from the visitor's bucket, whatever the page claimed."""
    control, variant = arm_of(campaign, ctx)
    if campaign.cap_impressions is not None:
        ctx.caps.add(campaign.id, campaign.cap_period_hours, int(time.time()))
    return _row(ctx, type="impression", slot=campaign.slot_key, campaign_id=campaign.id,
                   control=control,
                   variant_id=variant.pk if variant is not None and not control else None)


def custom_event(ctx: Any, name: str, campaign: Any = None, variant_id: object = None,
                 value: Decimal | None = None) -> dict[str, Any] | None:
    """A custom event of the shop's own (``newsletter_signup``, ``video_played``), with the
    campaign whose content led to it when there is one, and a value; to :func:`record`."""
    return _row(ctx, type="custom", reference=name,
                   slot=campaign.slot_key if campaign is not None else "",
                   campaign_id=campaign.id if campaign is not None else None,
                   variant_id=variant_of(campaign, variant_id) if campaign is not None
                   else None, value=value)


def served(ctx: Any, kind: str, campaign: Any, token: object,
           variant_id: object = None) -> Exposure | None:
    """What ``token`` proves this visitor was served of ``campaign``, for an event of
    ``kind`` that names ``variant_id`` (a display's variant is worked out from his bucket,
    so only a click's or a dismissal's must match); None, logged at debug, when it proves
    nothing: missing, forged, expired, another visitor's, or another campaign's or arm's."""
    exposure = verify_token(ctx, token)
    if exposure is None:
        why = "no valid exposure token of this visitor"
    elif exposure.campaign_id != campaign.id or exposure.slot != campaign.slot_key:
        why = f"the token is campaign {exposure.campaign_id}'s in slot {exposure.slot!r}"
    elif kind != "view" and variant_id is not None and variant_of(
            campaign, variant_id) != exposure.variant_id:
        why = f"the token is for {'control' if exposure.control else exposure.variant_id}"
    else:
        return exposure
    logger.debug("Dropped a %s event of campaign %s: %s", kind, campaign.id, why)
    return None


def first_in_window(ctx: Any, kind: str, exposure: Exposure) -> bool:
    """Whether this is the first ``kind`` event of the visitor about this exposure (campaign
    and arm, as served on one page or in one API answer) in the last
    ``EVENT_REPEAT_WINDOW`` seconds: a double click or a replayed beacon counts once, the
    popup opening again on the next page is another display. Without the cache it cannot
    tell, and counts the event rather than lose it."""
    window = app_settings.EVENT_REPEAT_WINDOW
    if not window:
        return True
    cache = app_cache()
    if cache_is_down(cache.server):
        return True
    arm = "c" if exposure.control else exposure.variant_id
    key = f"pz:seen:{ctx.bucket_id}:{kind}:{exposure.campaign_id}:{arm}:{exposure.issued}"
    try:
        first = bool(cache.backend.add(key, 1, window))
    except Exception as exc:
        mark_down(exc, cache.server)
        return True
    if not first:
        logger.debug("Dropped a repeated %s event of campaign %s", kind, exposure.campaign_id)
    return first


class Served(NamedTuple):
    """An event of a batch that may have its effect: ``exposure`` is what its token proves
    (None for a custom event about no campaign); ``counted`` is False for a repeat within
    ``EVENT_REPEAT_WINDOW``, which still closes a popup or counts toward its cap (the
    visitor's own cookies) but is not recorded again."""

    event: dict[str, Any]
    campaign: Any
    exposure: Exposure | None
    counted: bool


def drop_unserved(ctx: Any, events: list[tuple[dict[str, Any], Any]]
                  ) -> tuple[list[Served], int]:
    """The events of a batch (each with its campaign, or None for a custom event about
    none) that are about a campaign this visitor was served (their exposure token), and how
    many were left out: those without a valid token, and repeats, which are kept but not
    counted (:class:`Served`)."""
    kept: list[Served] = []
    dropped = 0
    recording = ctx.has_consent(ANALYTICS)
    for event, campaign in events:
        if campaign is None:  # the shop's own event, credited to no campaign
            kept.append(Served(event, None, None, True))
            continue
        kind = event["type"]
        exposure = served(ctx, kind, campaign, event.get("token"), event.get("variant"))
        if exposure is None:
            dropped += 1
            continue
        counted = not recording or kind == "custom" or first_in_window(ctx, kind, exposure)
        dropped += not counted
        kept.append(Served(event, campaign, exposure, counted))
    return kept, dropped
