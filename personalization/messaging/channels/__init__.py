"""Outgoing messages (SMS), through backends chosen by dotted path."""

from personalization.messaging.channels.base import (
    SendResult,
    SmsBackendBase,
    SmsError,
    SmsMessage,
    get_sms_backend,
)

__all__ = ["SendResult", "SmsBackendBase", "SmsError", "SmsMessage", "get_sms_backend"]
