"""SMS backend that appends messages to a file (``SMS_FILE_PATH`` option or env)."""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime

from .base import SendResult, SmsBackendBase, SmsMessage


class SmsBackend(SmsBackendBase):
    def send(self, message: SmsMessage) -> SendResult:
        path = self.options.get("path") or os.environ.get("PZ_SMS_FILE", "var/sms.log")
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        provider_id = f"file-{uuid.uuid4().hex[:12]}"
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"id": provider_id, "to": message.to, "body": message.body,
                                 "at": datetime.now(UTC).isoformat()}) + "\n")
        return SendResult(ok=True, provider_id=provider_id)
