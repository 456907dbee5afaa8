"""SMS backend that appends messages to a file (``path`` option or ``PZ_SMS_FILE``), one JSON
object per line."""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime

from personalization.messaging.channels.base import SendResult, SmsBackendBase, SmsMessage


class SmsBackend(SmsBackendBase):
    can_find_sent = True

    @property
    def path(self) -> str:
        return self.options.get("path") or os.environ.get("PZ_SMS_FILE", "var/sms.log")

    def send(self, message: SmsMessage) -> SendResult:
        path = self.path
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        provider_id = f"file-{uuid.uuid4().hex[:12]}"
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"id": provider_id, "to": message.to, "body": message.body,
                                 "at": datetime.now(UTC).isoformat()}) + "\n")
        return SendResult(ok=True, provider_id=provider_id)

    def find_sent(self, message: SmsMessage, since: datetime) -> SendResult | None:
        try:
            with open(self.path, encoding="utf-8") as fh:
                rows = [json.loads(line) for line in fh if line.strip()]
        except FileNotFoundError:
            return None
        for row in rows:
            if (row["to"] == message.to and row["body"] == message.body
                    and datetime.fromisoformat(row["at"]) >= since):
                return SendResult(ok=True, provider_id=row["id"])
        return None
