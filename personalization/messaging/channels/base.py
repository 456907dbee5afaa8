"""The SMS backend interface, shaped like Django's e-mail backends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class SmsMessage:
    to: str  # E.164, e.g. +31612345678
    body: str


@dataclass(frozen=True)
class SendResult:
    """The provider's answer for one message: its id, or the error."""

    ok: bool
    provider_id: str = ""
    error: str = ""


class SendError(Exception):
    """Sending a message failed, on any channel; ``transient`` errors are retried, others
    are final.

    ``maybe_sent`` means the request reached the provider but no answer came back (a read
    time-out): the message may have been accepted, so it is looked up before a retry.
    """

    def __init__(self, message: str, *, transient: bool = True,
                 maybe_sent: bool = False) -> None:
        super().__init__(message)
        self.transient = transient
        self.maybe_sent = maybe_sent


class SmsError(SendError):
    """An SMS backend could not send (what SMS backends raise)."""


class SmsBackendBase:
    """Subclass and implement :meth:`send` (one message; raise :class:`SmsError`).

    A backend that can ask its provider what it accepted also implements :meth:`find_sent`;
    then a message whose worker died while sending is neither lost nor sent twice.
    """

    #: Whether :meth:`find_sent` can answer (otherwise an interrupted send is not retried).
    can_find_sent = False

    def __init__(self, **options: Any) -> None:
        self.options = options

    def send(self, message: SmsMessage) -> SendResult:
        raise NotImplementedError

    def find_sent(self, message: SmsMessage, since: datetime) -> SendResult | None:
        """The provider's record of ``message`` (same number and text) accepted at or after
        ``since``, or None when the provider never got it."""
        raise NotImplementedError

    def send_messages(self, messages: list[SmsMessage]) -> list[SendResult]:
        return [self.send(m) for m in messages]


def get_sms_backend(**options: Any) -> SmsBackendBase:
    """The configured backend, with ``SMS_BACKEND_OPTIONS`` overridden by ``options``."""
    from personalization.conf import app_settings

    return app_settings.SMS_BACKEND(**{**app_settings.SMS_BACKEND_OPTIONS, **options})
