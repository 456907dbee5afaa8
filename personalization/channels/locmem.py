"""SMS backend that keeps messages in ``outbox`` (for tests)."""

from __future__ import annotations

import uuid

from .base import SendResult, SmsBackendBase, SmsMessage

#: Every message sent through this backend in this process.
outbox: list[SmsMessage] = []


class SmsBackend(SmsBackendBase):
    def send(self, message: SmsMessage) -> SendResult:
        outbox.append(message)
        return SendResult(ok=True, provider_id=f"locmem-{uuid.uuid4().hex[:12]}")
