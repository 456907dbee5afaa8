"""SMS backend that prints messages to standard output (the default)."""

from __future__ import annotations

import sys
import uuid

from personalization.messaging.channels.base import SendResult, SmsBackendBase, SmsMessage


class SmsBackend(SmsBackendBase):
    def send(self, message: SmsMessage) -> SendResult:
        stream = self.options.get("stream") or sys.stdout
        stream.write(f"SMS to {message.to}:\n{message.body}\n{'-' * 40}\n")
        stream.flush()
        return SendResult(ok=True, provider_id=f"console-{uuid.uuid4().hex[:12]}")
