"""Login: the anonymous visitor's profile merges into the customer's."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction

from personalization.conf import app_settings
from personalization.engine.profiles import invalidate_user, profile_for_user, record_visit
from personalization.models import ConsentRecord
from personalization.privacy.consent import (
    PERSONALIZATION,
    ConsentState,
    record_choices,
    state_from_records,
)


def merge_on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """At login: settle his consent, then connect the browser to the customer.

    Consent: a choice made in this browser before logging in is recorded for the account
    (the latest choice wins); without one, the account's recorded choices apply here.

    Identity (only with personalization consent): a customer seen for the first time keeps
    this browser's id as his canonical id; one who already has a profile (another device)
    gets this id as an alias, and the cookie takes his canonical id, so he is in the same
    bucket on every device.
    """
    ctx = getattr(request, "visitor", None)
    if ctx is None:
        return
    _settle_consent(ctx, user)
    ctx.forget_facts("user", "is_authenticated", "profile", "bucket_id", "visitor_id",
                     "allowed_purposes", "remembered", "state")
    if PERSONALIZATION not in ctx.allowed_purposes:
        return  # no profile is built without his consent
    profile = merge_visitor(user, ctx.visitor_id)
    record_visit(user.pk, first=True)
    state = ctx.state
    if state.vid != str(profile.visitor_id):
        state.vid = str(profile.visitor_id)
        state.changed = True
    ctx.forget_facts("profile", "bucket_id", "visitor_id")


def start_over_on_logout(sender: Any, request: Any = None, user: Any = None,
                         **kwargs: Any) -> None:
    """Connected to ``user_logged_out``. Logging out ends the customer in this browser: the
    visitor cookie starts a new visitor (a new id, no category views or campaign touches),
    so a shared computer does not hand his bucket and browsing to the next person. His
    profile and aliases stay his; logging in again brings them back."""
    from personalization.engine.cookies import VisitorState

    ctx = getattr(request, "visitor", None)
    if ctx is None:
        return
    ctx.forget_facts("user", "is_authenticated", "profile", "bucket_id", "visitor_id",
                     "state")
    if ctx.remembered:  # the browser's consent still allows a cookie: a new one
        ctx.set_fact("state", VisitorState(vid=str(uuid.uuid4()), is_new=True, changed=True))


def _settle_consent(ctx: Any, user: Any) -> None:
    """A choice made in this browser while logged out becomes his (the latest choice wins);
    otherwise his recorded choices apply. A choice another customer made here never does."""
    current = ConsentState.loads(ctx.request.COOKIES.get(app_settings.CONSENT_COOKIE_NAME)) \
        if ctx.request is not None else None
    recorded = state_from_records(user)
    chosen_here = current is not None and current.decided and current.owner is None
    if chosen_here and recorded.choices != current.choices:
        state = record_choices(choices=current.choices, source=ConsentRecord.Source.BANNER,
                               user=user, visitor_id=ctx.visitor_id)
    else:
        state = recorded
    state.owner = user.pk
    state.changed = True  # the cookie now holds his choices
    ctx.set_fact("consent", state)


@transaction.atomic
def merge_visitor(user: Any, visitor_id: str) -> Any:
    """Link ``visitor_id`` to the user's profile (merging an anonymous one); returns it."""
    from personalization.models import VisitorAlias, VisitorProfile

    vid = uuid.UUID(str(visitor_id))
    profile = profile_for_user(user, visitor_id)
    if profile.visitor_id == vid:
        return profile
    if VisitorProfile.objects.filter(visitor_id=vid, user__isnull=False).exists():
        return profile  # this browser was somebody else's (a shared computer): link nothing
    anonymous = VisitorProfile.objects.filter(visitor_id=vid, user__isnull=True).first()
    if anonymous is not None:
        VisitorAlias.objects.filter(profile=anonymous).update(profile=profile)
        profile.visit_count += anonymous.visit_count
        profile.first_seen = min(profile.first_seen, anonymous.first_seen)
        merged = dict(anonymous.attributes)
        merged.update(profile.attributes)
        profile.attributes = merged
        profile.save(update_fields=["visit_count", "first_seen", "attributes"])
        anonymous.delete()
    alias, created = VisitorAlias.objects.get_or_create(alias=vid, defaults={"profile": profile})
    if created or alias.profile_id == profile.pk:
        invalidate_user(user.pk)
    return profile  # an alias of another customer stays his
