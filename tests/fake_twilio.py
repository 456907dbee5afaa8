"""A local stand-in for Twilio's Messages API, so the real ``twilio`` client is exercised
without the internet. The test process owns it; workers in other processes reach it by HTTP,
so ``messages`` is the outbox every process's SMS end up in."""

from __future__ import annotations

import json
import threading
import uuid
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from django.utils import timezone

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-token"
FROM_NUMBER = "+3197010000000"


class FakeTwilio:
    """Records accepted messages; can fail, or hold a request, on demand."""

    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.posts = 0
        self.plan: list[tuple[str, int]] = []  # per POST: ("fail", status) or ("hold", record)
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def backend_options(self) -> dict[str, str]:
        return {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "from_": FROM_NUMBER,
                "base_url": self.url}

    def env(self) -> dict[str, str]:
        return {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "TWILIO_FROM_NUMBER": FROM_NUMBER, "TWILIO_BASE_URL": self.url}

    def start(self) -> FakeTwilio:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        with self.lock:
            self.messages.clear()
            self.posts = 0
            self.plan.clear()
        self.arrived.clear()
        self.release.clear()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _json(self, status: int, payload: dict) -> None:
                body = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client (a killed worker) is gone

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                with fake.lock:
                    fake.posts += 1
                    step = fake.plan.pop(0) if fake.plan else ("ok", 0)
                if step[0] == "fail":
                    self._json(step[1], {"code": 20500, "message": "Service unavailable",
                                         "status": step[1]})
                    return
                message = {
                    "sid": "SM" + uuid.uuid4().hex, "to": form.get("To"),
                    "from": form.get("From"), "body": form.get("Body"), "status": "queued",
                    "date_created": format_datetime(timezone.now(), usegmt=True),
                }
                if step[0] == "hold":
                    if step[1]:  # the provider accepts it, but its answer never arrives
                        with fake.lock:
                            fake.messages.append(message)
                    fake.arrived.set()
                    fake.release.wait(60)
                    return  # no answer: the connection is simply closed
                with fake.lock:
                    fake.messages.append(message)
                self._json(201, message)

            def do_GET(self) -> None:
                query = parse_qs(urlparse(self.path).query)
                to = query.get("To", [None])[0]
                with fake.lock:
                    found = [m for m in reversed(fake.messages) if to in (None, m["to"])]
                self._json(200, {"messages": found, "next_page_uri": None, "page": 0,
                                 "page_size": 50, "uri": self.path})

        return Handler
