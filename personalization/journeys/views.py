"""The links in a journey message: one-click unsubscribe, the cart on any device, and the
shop; each page in the language the message was written in (its ``lang`` parameter)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from personalization.adapters import get_adapter
from personalization.cache import within_rate
from personalization.journeys.messages import CART_SALT, UNSUBSCRIBE_SALT
from personalization.journeys.unsubscribe import unsubscribe

#: A link keeps working this long (a message read weeks later).
MAX_AGE = 60 * 60 * 24 * 90
#: Unsubscribe posts per customer and minute; beyond, 429 (a replayed link).
UNSUBSCRIBE_RATE = 5


class InvalidLink(Exception):
    pass


def link_language(request: HttpRequest) -> str | None:
    """The site language a message's link asks for (``?lang=nl``), or None."""
    wanted = request.GET.get("lang") or ""
    try:
        language = translation.get_supported_language_variant(wanted) if wanted else None
    except LookupError:  # not one of the site's languages: the visitor's own
        return None
    return language


def speaking(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The view's page in the link's language, and the shop's pages after it too: the
    language cookie is set as Django's language switch sets it, so the cart or the shop it
    leads to speaks it as well (the customer chose it by opening his message's link)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        language = link_language(request)
        if language is None:
            return view(request, *args, **kwargs)
        with translation.override(language):
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
        response.headers.setdefault("Content-Language", language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE)
        return response

    return wrapped


def _user(token: str, salt: str):  # type: ignore[no-untyped-def]
    try:
        user_id = signing.loads(token, salt=salt, max_age=MAX_AGE)
    except signing.BadSignature:
        raise InvalidLink from None
    if type(user_id) is not int:  # signed by us, but not a user id (True would read as 1)
        raise InvalidLink
    user = get_user_model()._default_manager.filter(pk=user_id).first()
    if user is None:
        raise InvalidLink
    return user


def _invalid(request: HttpRequest) -> HttpResponse:
    """A page that says so, in the visitor's language (404: there is nothing here)."""
    return render(request, "personalization/journeys/invalid_link.html", status=404)


@csrf_exempt  # mail clients' one-click POST (RFC 8058) carries no token; the link is signed
@require_http_methods(["GET", "POST"])
@speaking
def unsubscribe_view(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (a link must not act when a mail scanner opens it); POST, from the page's
    button or a mail client's one-click, withdraws the marketing consent: once, however
    often it is posted, and at most ``UNSUBSCRIBE_RATE`` posts a minute per customer."""
    try:
        user = _user(token, UNSUBSCRIBE_SALT)
    except InvalidLink:
        return _invalid(request)
    if request.method == "GET":
        return render(request, "personalization/journeys/unsubscribe.html", {"token": token})
    if not within_rate(f"pz:unsubscribe:{user.pk}", UNSUBSCRIBE_RATE, 60):
        response = render(request, "personalization/journeys/unsubscribe.html",
                          {"throttled": True, "token": token}, status=429)
        response["Retry-After"] = "60"
        return response
    unsubscribe(user)
    return render(request, "personalization/journeys/unsubscribe.html",
                  {"done": True, "token": token})


@require_http_methods(["GET"])
@speaking
def cart_view(request: HttpRequest, token: str) -> HttpResponse:
    """Put the customer's saved cart into this browser's cart and go to the cart page."""
    try:
        user = _user(token, CART_SALT)
    except InvalidLink:
        return _invalid(request)
    return redirect(get_adapter().restore_cart(request, user))


@require_http_methods(["GET"])
@speaking
def open_view(request: HttpRequest) -> HttpResponse:
    """A link from a message to a page of the shop (``next``): opened in the message's
    language. Only this site's pages: anything else leads to the home page."""
    target = request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = "/"
    return redirect(target)
