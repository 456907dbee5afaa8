"""SMS backend that keeps messages in ``outbox`` (for tests)."""

from __future__ import annotations

import uuid
from datetime import datetime

from personalization.messaging.channels.base import SendResult, SmsBackendBase, SmsMessage

#: Every message sent through this backend in this process.
outbox: list[SmsMessage] = []
_ids: dict[int, str] = {}  # id(message in outbox) -> provider id


class SmsBackend(SmsBackendBase):
    can_find_sent = True

    def send(self, message: SmsMessage) -> SendResult:
        provider_id = f"locmem-{uuid.uuid4().hex[:12]}"
        outbox.append(message)
        _ids[id(message)] = provider_id
        return SendResult(ok=True, provider_id=provider_id)

    def find_sent(self, message: SmsMessage, since: datetime) -> SendResult | None:
        for sent in outbox:
            if sent == message:
                return SendResult(ok=True, provider_id=_ids.get(id(sent), ""))
        return None
