"""The dismiss form's endpoint, for a page without JavaScript.

The bundled script reports displays, clicks and dismissals to the API's ``events/``
endpoint (``personalization.api``); a plain form post, e.g. a "No thanks" button in a
popup's ``<noscript>`` version, closes the campaign here and is sent back to ``next``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from personalization.privacy.consent import ANALYTICS
from personalization.touchpoints.interactions import (
    dismiss_campaign,
    find_campaign,
    first_in_window,
    interaction_event,
    record,
    served,
)
from personalization.touchpoints.throttle import throttled


@require_POST
def dismiss(request: HttpRequest) -> HttpResponse:
    """The visitor closed a campaign's content (a popup): it stays away for the campaign's
    cap period (24 hours unless set otherwise), remembered in the signed caps cookie, and a
    ``dismiss`` event is recorded. POST ``campaign`` (id), ``token`` (the slot's exposure
    token, ``data-pz-token``: only content served to this visitor can be dismissed),
    optionally ``variant`` and ``next`` (a page of this site to go back to; without it the
    answer is 204).

    Anybody may post (a visitor closes what he was shown; CSRF-checked), at the API's rates:
    120 a minute per visitor and 600 per address, then 429. The same dismissal again within
    ``EVENT_REPEAT_WINDOW`` closes the campaign but is not recorded twice."""
    wait = throttled(request, "dismiss")
    if wait is not None:
        response = HttpResponse(_("Too many requests: try again in a minute."), status=429,
                                content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(wait)
        return response
    ctx = getattr(request, "visitor", None)
    campaign = find_campaign(ctx, request.POST.get("campaign"))
    if campaign is None:
        return HttpResponseBadRequest(_("Unknown campaign."),
                                      content_type="text/plain; charset=utf-8")
    variant = request.POST.get("variant") or None
    exposure = served(ctx, "dismiss", campaign, request.POST.get("token"), variant)
    if exposure is None:
        return HttpResponseBadRequest(_("This campaign was not shown to you here."),
                                      content_type="text/plain; charset=utf-8")
    dismiss_campaign(ctx, campaign)
    if not ctx.has_consent(ANALYTICS) or first_in_window(ctx, "dismiss", exposure):
        # In the database before the answer, as the API's events.
        record([interaction_event(ctx, campaign, "dismiss", exposure.variant_id)])
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return HttpResponse(status=204)
