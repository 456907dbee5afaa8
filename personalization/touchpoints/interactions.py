"""What a visitor did with a campaign's content after the page was rendered: saw a popup,
clicked, dismissed; and the shop's own custom events. One implementation for the API's
``events/`` endpoint (which the bundled script reports to) and the no-JavaScript dismiss form.

Everything is recorded only with the visitor's analytics consent. The functions below give
each event's row; :func:`record` writes a request's rows to the database in one INSERT
before the client is told they were accepted (so no restart of the cache loses them,
unlike the impressions a page records, which are buffered). A dismissal and a popup's
display also change the visitor's caps cookie, which the middleware writes on the way out,
consent or not (they are what he asked for)."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from personalization.engine.decide import DEFERRED_KINDS, arm_of
from personalization.measurement.event_rows import event_row, record_events
from personalization.privacy.consent import ANALYTICS


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
