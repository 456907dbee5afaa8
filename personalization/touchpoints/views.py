"""The dismiss form's endpoint, for a page without JavaScript.

The bundled script reports displays, clicks and dismissals to the API's ``events/``
endpoint (``personalization.api``); a plain form post, e.g. a "No thanks" button in a
popup's ``<noscript>`` version, closes the campaign here and is sent back to ``next``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from personalization.touchpoints.interactions import (
    dismiss_campaign,
    find_campaign,
    interaction_event,
    record,
)


@require_POST
def dismiss(request: HttpRequest) -> HttpResponse:
    """The visitor closed a campaign's content (a popup): it stays away for the campaign's
    cap period (24 hours unless set otherwise), remembered in the signed caps cookie, and a
    ``dismiss`` event is recorded. POST ``campaign`` (id), optionally ``variant`` and
    ``next`` (a page of this site to go back to; without it the answer is 204)."""
    campaign = find_campaign(getattr(request, "visitor", None), request.POST.get("campaign"))
    if campaign is None:
        return HttpResponseBadRequest("Unknown campaign.")
    dismiss_campaign(request.visitor, campaign)
    record([interaction_event(request.visitor, campaign, "dismiss",
                              request.POST.get("variant"))])
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return HttpResponse(status=204)
