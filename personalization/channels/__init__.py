"""Outgoing messages (SMS), through backends chosen by dotted path."""

from .base import SendResult, SmsBackendBase, SmsMessage, get_sms_backend

__all__ = ["SendResult", "SmsBackendBase", "SmsMessage", "get_sms_backend"]
