"""Consent, enforced in one place: what a visitor allowed, how it is stored and recorded.

The visitor's current choices live in a signed cookie (a necessary cookie: it stores the
choice itself). Every change is also written as :class:`ConsentRecord` rows, the proof of
who agreed to what under which policy version. Everything that uses personal data asks
:meth:`VisitorContext.has_consent`, which reads :attr:`ConsentState.allowed`.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core import signing
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _

from personalization.cache import app_cache
from personalization.conf import app_settings

NECESSARY = "necessary"
PERSONALIZATION = "personalization"
ANALYTICS = "analytics"
MARKETING = "marketing"
#: Purposes that need the visitor-id cookie: without one of them, no id is stored.
ID_PURPOSES = frozenset({PERSONALIZATION, ANALYTICS})
COOKIE_SALT = "personalization.consent"
PURPOSES_KEY = "pz:consent:purposes"

#: The purposes shipped with the app (created by a data migration; texts are editable).
SHIPPED = [
    (NECESSARY, _("Necessary"), _("Your cart, your login and the security of the shop. "
                                  "These cannot be switched off."), True),
    (PERSONALIZATION, _("Personalization"), _(
        "We use your order history and what you looked at to show offers and products that "
        "suit you. Without it you still see offers for the page you are on.")),
    (ANALYTICS, _("Analytics"), _(
        "We count which offers were shown and what was bought afterwards, to learn which "
        "offers help. Without it nothing you see is recorded.")),
    (MARKETING, _("Marketing"), _(
        "We may send you offers by e-mail or text message.")),
]


@dataclass
class ConsentState:
    """The visitor's choices, the policy version they were made under, and whose they are
    (the customer's id, or None for a choice made while logged out)."""

    choices: dict[str, bool] = field(default_factory=dict)
    version: str | None = None  # None: never chosen
    at: int = 0
    owner: int | None = None
    changed: bool = False

    @property
    def decided(self) -> bool:
        """Whether the visitor chose under the current policy (else the banner asks)."""
        return self.version == app_settings.CONSENT_POLICY_VERSION

    @property
    def allowed(self) -> frozenset[str]:
        if self.decided:
            granted = {p for p, ok in self.choices.items() if ok}
        elif app_settings.CONSENT_MODE == "implied":
            granted = {PERSONALIZATION, ANALYTICS, MARKETING}
        else:
            granted = set()
        return frozenset(granted | {NECESSARY})

    def dumps(self) -> str:
        data = {"v": self.version, "p": {k: int(v) for k, v in self.choices.items()},
                "t": self.at, "u": self.owner}
        return signing.dumps(data, salt=COOKIE_SALT, compress=True)

    @classmethod
    def loads(cls, raw: str | None) -> ConsentState | None:
        if not raw:
            return None
        try:
            data = signing.loads(raw, salt=COOKIE_SALT)
            owner = data.get("u")
            return cls(choices={str(k): bool(v) for k, v in data["p"].items()},
                       version=data.get("v"), at=int(data.get("t", 0)),
                       owner=int(owner) if owner is not None else None)
        except Exception:  # any malformed payload (even Infinity) reads as none
            return None


def state_for_request(request: Any) -> ConsentState:
    """From the consent cookie. A logged-in customer whose browser holds no cookie, or the
    cookie of somebody else (a shared computer), gets his own recorded choices (one query,
    once: the cookie is then rewritten); another person's choice never applies to him."""
    state = ConsentState.loads(request.COOKIES.get(app_settings.CONSENT_COOKIE_NAME))
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return state if state is not None else ConsentState()
    if state is not None and state.owner == user.pk:
        return state
    state = state_from_records(user)
    state.changed = True
    return state


def state_from_records(user: Any) -> ConsentState:
    """The customer's latest choice per purpose under the current policy version."""
    from personalization.models import ConsentRecord

    version = app_settings.CONSENT_POLICY_VERSION
    choices: dict[str, bool] = {}
    latest = 0
    for record in ConsentRecord.objects.filter(user=user, policy_version=version).order_by(
            "created_at", "pk"):
        choices[record.purpose] = record.granted
        latest = max(latest, int(record.created_at.timestamp()))
    if not choices:
        return ConsentState(owner=user.pk)
    return ConsentState(choices=choices, version=version, at=latest, owner=user.pk)


def user_allows(user: Any, purpose: str) -> bool:
    """For work outside a request (tasks): the customer's recorded choice."""
    if purpose == NECESSARY:
        return True
    if user is None:
        return False
    return purpose in state_from_records(user).allowed


def record_choices(*, choices: dict[str, bool], source: str, user: Any = None,
                   visitor_id: str | None = None) -> ConsentState:
    """Store one record per purpose and return the new state (to be put in the cookie)."""
    from personalization.models import ConsentRecord

    version = app_settings.CONSENT_POLICY_VERSION
    optional = [p.key for p in purposes() if not p.required]
    final = {key: bool(choices.get(key, False)) for key in optional}
    vid = _uuid(visitor_id)
    user_id = user.pk if user is not None and getattr(user, "is_authenticated", False) else None
    ConsentRecord.objects.bulk_create([
        ConsentRecord(user_id=user_id, visitor_id=vid, purpose=key, granted=granted,
                      policy_version=version, source=source,
                      subject=_subject(user_id, vid))
        for key, granted in final.items()])
    return ConsentState(choices=final, version=version, at=int(time.time()), owner=user_id,
                        changed=True)


def _subject(user_id: int | None, vid: uuid.UUID | None) -> str:
    from personalization.models.consent import subject_hash

    return subject_hash(user_id=user_id, visitor_id=str(vid) if vid else None)


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def ensure_purposes() -> None:
    """Create the shipped purposes that are missing (a migration does it on install; this
    puts them back in a database whose tables were emptied, e.g. by a test)."""
    from personalization.models import ConsentPurpose

    for position, (key, name, description, *required) in enumerate(SHIPPED):
        ConsentPurpose.objects.get_or_create(key=key, defaults={
            "name": str(name), "description": str(description),
            "required": bool(required and required[0]), "position": position})
    _drop_purposes()


def purposes() -> list[Any]:
    """The purposes, from the cache (the banner costs no query once warm)."""
    from personalization.models import ConsentPurpose

    cache = app_cache()
    found = cache.get(PURPOSES_KEY)
    if found is None:
        found = list(ConsentPurpose.objects.all())
        cache.set(PURPOSES_KEY, found, 60 * 60)
    return found


def _drop_purposes(**kwargs: Any) -> None:
    app_cache().delete(PURPOSES_KEY)


def connect_signals() -> None:
    from personalization.models import ConsentPurpose

    post_save.connect(_drop_purposes, sender=ConsentPurpose, dispatch_uid="pz_purposes_save")
    post_delete.connect(_drop_purposes, sender=ConsentPurpose,
                        dispatch_uid="pz_purposes_delete")


def may_send_marketing(user: Any) -> bool:
    """Whether a message with offers may be sent to this customer (e-mail, SMS). Alerts to
    staff, such as the sales-rep SMS, are not marketing and need no consent."""
    return user_allows(user, MARKETING)
