"""The SMS backend interface, shaped like Django's e-mail backends."""

from __future__ import annotations

from dataclasses import dataclass
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


class SmsError(Exception):
    """Sending failed; ``transient`` errors are retried, others are final."""

    def __init__(self, message: str, *, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


class SmsBackendBase:
    """Subclass and implement :meth:`send` (one message; raise :class:`SmsError`)."""

    def __init__(self, **options: Any) -> None:
        self.options = options

    def send(self, message: SmsMessage) -> SendResult:
        raise NotImplementedError

    def send_messages(self, messages: list[SmsMessage]) -> list[SendResult]:
        return [self.send(m) for m in messages]


def get_sms_backend(**options: Any) -> SmsBackendBase:
    from ..conf import app_settings

    return app_settings.SMS_BACKEND(**options)
