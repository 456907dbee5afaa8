"""SMS backend sending through Twilio's Programmable Messaging API (``pip install
'django-personalization[twilio]'``).

Options (``PERSONALIZATION["SMS_BACKEND_OPTIONS"]``, else the environment):
``account_sid`` (``TWILIO_ACCOUNT_SID``), ``auth_token`` (``TWILIO_AUTH_TOKEN``), ``from_``
(``TWILIO_FROM_NUMBER``, E.164) or ``messaging_service_sid``, ``timeout`` (seconds, default
``SMS_SEND_TIMEOUT``) and ``base_url`` (``TWILIO_BASE_URL``: another API host, such as a
proxy or a test server; default ``https://api.twilio.com``).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

from personalization.messaging.channels.base import (
    SendResult,
    SmsBackendBase,
    SmsError,
    SmsMessage,
)

TWILIO_API = "https://api.twilio.com"
# Twilio's clock and ours may differ a little when matching an earlier message.
CLOCK_SKEW = timedelta(minutes=5)


def _http_client(base_url: str, timeout: float) -> Any:
    from twilio.http.http_client import TwilioHttpClient

    class RebasedHttpClient(TwilioHttpClient):
        """Sends the API's requests to ``base_url`` instead of api.twilio.com."""

        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            if url.startswith(TWILIO_API):
                url = base_url.rstrip("/") + url[len(TWILIO_API):]
            return super().request(method, url, *args, **kwargs)

    return RebasedHttpClient(timeout=timeout) if base_url else TwilioHttpClient(timeout=timeout)


class SmsBackend(SmsBackendBase):
    can_find_sent = True

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        from twilio.rest import Client

        from personalization.conf import app_settings

        sid = options.get("account_sid") or os.environ.get("TWILIO_ACCOUNT_SID", "")
        token = options.get("auth_token") or os.environ.get("TWILIO_AUTH_TOKEN", "")
        self.from_ = options.get("from_") or os.environ.get("TWILIO_FROM_NUMBER", "")
        self.service = options.get("messaging_service_sid", "")
        if not sid or not token or not (self.from_ or self.service):
            raise SmsError("Twilio needs account_sid, auth_token and from_ (or "
                           "messaging_service_sid).", transient=False)
        timeout = float(options.get("timeout") or app_settings.SMS_SEND_TIMEOUT)
        base_url = options.get("base_url") or os.environ.get("TWILIO_BASE_URL", "")
        self.client = Client(sid, token, http_client=_http_client(base_url, timeout))

    def send(self, message: SmsMessage) -> SendResult:
        sender = {"messaging_service_sid": self.service} if self.service else {
            "from_": self.from_}
        try:
            sent = self.client.messages.create(to=message.to, body=message.body, **sender)
        except Exception as exc:  # noqa: BLE001  (classified below, never swallowed)
            raise _classify(exc) from exc
        return SendResult(ok=True, provider_id=sent.sid or "")

    def find_sent(self, message: SmsMessage, since: datetime) -> SendResult | None:
        try:
            recent = self.client.messages.list(to=message.to, limit=50)
        except Exception as exc:  # noqa: BLE001
            raise _classify(exc) from exc
        for sent in recent:
            created = sent.date_created
            if sent.body == message.body and (not isinstance(created, datetime)
                                              or created >= since - CLOCK_SKEW):
                return SendResult(ok=True, provider_id=sent.sid or "")
        return None


def _classify(exc: Exception) -> SmsError:
    """Twilio's and requests' exceptions as an :class:`SmsError` (transient or final)."""
    import requests
    from twilio.base.exceptions import TwilioRestException

    if isinstance(exc, TwilioRestException):
        transient = exc.status >= 500 or exc.status == 429
        return SmsError(f"Twilio answered {exc.status}: {exc.msg}", transient=transient)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return SmsError(f"Twilio not reachable: {exc}")
    if isinstance(exc, (requests.exceptions.ReadTimeout,
                        requests.exceptions.ChunkedEncodingError)):
        return SmsError(f"No answer from Twilio: {exc}", maybe_sent=True)
    if isinstance(exc, requests.exceptions.ConnectionError):
        # Refused: never reached. Aborted or reset: the request may have arrived.
        text = str(exc)
        maybe = "aborted" in text.lower() or "reset" in text.lower()
        return SmsError(f"Connection to Twilio failed: {exc}", maybe_sent=maybe)
    return SmsError(f"{type(exc).__name__}: {exc}", transient=False)
