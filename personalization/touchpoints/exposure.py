"""Exposure tokens: the proof, carried in a slot's markup (``data-pz-token``) and in the
decisions API's answer, that this visitor was served this campaign's arm in this slot.

Displays, clicks and dismissals come back from the browser; without such proof anybody could
post clicks on campaigns he never saw, and those rows feed CTR, frequency caps and reports.
Checking them against a record of what each visitor was served would cost the decision a
write per slot; a signed token costs an HMAC and no database or cache round trip, so the
warm decision path stays free of queries.

A token binds (visitor id, campaign, variant or control, slot) and expires after a day. The
visitor id is not written into it: it is signed along with it and taken from the visitor's
own cookie when the token comes back, so a token works for the browser it was served to
only. A visitor who may not be remembered (no consent) has a fresh id on every request:
his tokens are bound to nobody, which is harmless, since nothing he does is recorded (only
his own caps cookie changes); once he allows it, the tokens of his new pages bind him.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.utils.encoding import force_bytes

logger = logging.getLogger(__name__)

SALT = "personalization.exposure"
#: Seconds a token stays valid: a page left open for longer reports nothing more.
MAX_AGE = 24 * 60 * 60
#: Longer input is not a token of ours (ids, a slot key of 80 characters, time, signature).
MAX_LENGTH = 200
CONTROL = "c"


@dataclass(frozen=True, slots=True)
class Exposure:
    """What a token says the visitor was served."""

    campaign_id: int
    slot: str
    control: bool
    variant_id: int | None
    #: When it was served (the token's signing time, base 62 seconds): tells the same
    #: page's event sent twice from the same event on another page.
    issued: str


def _holder(ctx: Any) -> str:
    """Whom tokens are bound to: the remembered visitor's id, or nobody (see the module)."""
    return ctx.visitor_id if ctx.remembered else ""


def _signer() -> signing.TimestampSigner:
    # Built per call: the secret key is read when it is used, so rotating it (or a test's
    # override) takes effect at once.
    return signing.TimestampSigner(salt=SALT)


class PageSigner:
    """Signs a page's exposure tokens: the same tokens as ``TimestampSigner(salt=SALT)``
    (which :func:`verify_token` checks), at one time for the whole page, with the HMAC key
    derived from the secret key once per page rather than once per token (Django derives it
    on every signature), and each slot's token signed once however often the page shows it.
    Made per request: a rotated secret key signs the next page."""

    def __init__(self) -> None:
        # As django.utils.crypto.salted_hmac derives it for Signer.signature().
        key = hashlib.sha256(f"{SALT}signer".encode()
                             + force_bytes(settings.SECRET_KEY)).digest()
        self._hmac = hmac.new(key, digestmod=hashlib.sha256)
        self._stamp = signing.b62_encode(int(time.time()))
        self._tokens: dict[tuple[str, str], str] = {}

    def token(self, holder: str, value: str) -> str:
        """``value`` signed for ``holder``, without the holder (see the module)."""
        token = self._tokens.get((holder, value))
        if token is None:
            stamped = f"{value}:{self._stamp}"
            mac = self._hmac.copy()
            mac.update(f"{holder}/{stamped}".encode())
            token = self._tokens[holder, value] = \
                f"{stamped}:{signing.b64_encode(mac.digest()).decode()}"
        return token


_PAGE_SIGNER = "personalization.exposure.signer"


def exposure_token(ctx: Any, decision: Any) -> str | None:
    """The token of ``decision`` for the visitor in ``ctx``; None when no campaign won, or
    in a staff preview (which records nothing)."""
    if ctx is None or decision is None or decision.campaign is None or ctx.is_preview:
        return None
    arm = CONTROL if decision.control else str(decision.variant_id)
    memo = getattr(ctx, "request_memo", None)
    signer = memo(_PAGE_SIGNER, PageSigner) if memo is not None else PageSigner()
    # The id comes from his cookie when it comes back.
    return signer.token(_holder(ctx), f"{decision.campaign.id}.{arm}.{decision.slot}")


def verify_token(ctx: Any, token: object) -> Exposure | None:
    """What ``token`` says this visitor was served, or None when it is missing, forged,
    expired or another visitor's."""
    if not isinstance(token, str) or not token or len(token) > MAX_LENGTH or ctx is None:
        return None
    holder = _holder(ctx)
    try:
        value = _signer().unsign(f"{holder}/{token}", max_age=MAX_AGE)
    except signing.BadSignature:  # SignatureExpired too
        return None
    campaign, arm, slot = value[len(holder) + 1:].split(".", 2)
    return Exposure(campaign_id=int(campaign), slot=slot, control=arm == CONTROL,
                    variant_id=None if arm == CONTROL else int(arm),
                    issued=token.rsplit(":", 2)[1])
