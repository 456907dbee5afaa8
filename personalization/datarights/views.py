"""The visitor's own privacy pages: consent choices, a copy of his data, erasure."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from personalization.conf import app_settings
from personalization.cookies import delete_app_cookies
from personalization.datarights.subjects import erase_subject, export_subject
from personalization.models import ConsentRecord
from personalization.privacy.consent import purposes, record_choices


def _back(request: HttpRequest, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def consent(request: HttpRequest) -> HttpResponse:
    """GET: the choices, to change them at any time. POST (CSRF-checked): accept all,
    reject all, or save the ticked purposes; recorded, and effective from the next request."""
    ctx = request.visitor  # type: ignore[attr-defined]
    optional = [p for p in purposes() if not p.required]
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action == "accept_all":
            choices = {p.key: True for p in optional}
        elif action == "reject_all":
            choices = {p.key: False for p in optional}
        else:
            ticked = set(request.POST.getlist("purpose"))
            choices = {p.key: p.key in ticked for p in optional}
        user = request.user if request.user.is_authenticated else None
        state = record_choices(choices=choices, source=ConsentRecord.Source.BANNER, user=user,
                               visitor_id=ctx.visitor_id)
        ctx.set_fact("consent", state)  # the middleware writes the cookie
        # From this response on, what he allowed applies: a first visitor who allows
        # personalization or analytics gets the visitor id the choice was recorded under.
        ctx.forget_facts("allowed_purposes", "remembered")
        if ctx.remembered:
            ctx.state.changed = True  # the middleware writes it as his visitor cookie
        messages.success(request, _("Your privacy choices are saved."))
        return redirect(_back(request))
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    state = ctx.consent
    return render(request, "personalization/consent_page.html", {
        "purposes": [{"purpose": p, "granted": p.required or p.key in state.allowed}
                     for p in purposes()],
        "decided": state.decided, "next": _back(request),
        "pz_page_template": app_settings.PAGE_TEMPLATE,
    })


def _subject(request: HttpRequest) -> dict:
    ctx = request.visitor  # type: ignore[attr-defined]
    user = request.user if request.user.is_authenticated else None
    remembered = request.COOKIES.get(app_settings.VISITOR_COOKIE_NAME) and ctx.remembered
    return {"user": user, "visitor_id": ctx.visitor_id if remembered else None}


def my_data(request: HttpRequest) -> HttpResponse:
    """Everything held on this visitor (his account and this browser) as a JSON file."""
    data = export_subject(**_subject(request))
    response = HttpResponse(json.dumps(data, cls=DjangoJSONEncoder, indent=2),
                            content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="my-personalization-data.json"'
    response["Cache-Control"] = "private, no-store"
    return response


def forget_me(request: HttpRequest) -> HttpResponse:
    """GET: what erasure means. POST (CSRF-checked): erase, and forget this browser."""
    if request.method == "POST":
        counts = erase_subject(**_subject(request))
        response = redirect(_back(request))
        # Erasure also ends tracking until he chooses again: no consent cookie, no
        # recorded choice left to him (pseudonymised), so the banner asks anew.
        delete_app_cookies(response)
        messages.success(request, _("Your personalization data is erased (%(n)s items).") % {
            "n": sum(counts.values())})
        request.visitor.forget_visitor()  # type: ignore[attr-defined]
        return response
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    return render(request, "personalization/forget_me.html", {
        "next": _back(request), "pz_page_template": app_settings.PAGE_TEMPLATE})

