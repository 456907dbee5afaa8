"""The app's own cookies (visitor, frequency caps, consent), written and removed the same
way everywhere: signed values, HttpOnly, SameSite=Lax, Secure on HTTPS, kept
``VISITOR_COOKIE_AGE`` seconds."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase

from personalization.conf import app_settings


def set_app_cookie(response: HttpResponseBase, request: HttpRequest, name: str,
                   value: str) -> None:
    response.set_cookie(name, value, max_age=app_settings.VISITOR_COOKIE_AGE, httponly=True,
                        secure=request.is_secure(), samesite="Lax")


def delete_app_cookies(response: HttpResponseBase, *names: str) -> None:
    """Remove the named cookies; without names, all three of the app's (an erasure)."""
    for name in names or (app_settings.VISITOR_COOKIE_NAME, app_settings.CAP_COOKIE_NAME,
                          app_settings.CONSENT_COOKIE_NAME):
        response.delete_cookie(name, samesite="Lax")
