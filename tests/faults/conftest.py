"""The fault suite's stack: its own broker and cache Redis servers on free loopback ports,
the demo shop's web server, Celery workers and beat as separate processes on the test
run's database, and a fake Twilio in this process. Tests stop and restart the parts."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from django.db import connection

from personalization.models import RepNotification
from tests.factories import AccountFactory, CustomerProfileFactory, UserFactory
from tests.fake_twilio import FakeTwilio
from tests.workers import wait_for

ROOT = Path(__file__).resolve().parents[2]
REDIS = shutil.which("redis-server")

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """A redis-server of the test's own, without persistence: a restart loses everything
    it held, as a broker restart without an append-only file does."""

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.log = log
        self.process: subprocess.Popen | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=self.log.open("a"), stderr=subprocess.STDOUT)
        wait_for(lambda: answers(self.port), 10, f"redis on {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.resume()
            self.process.kill()
            self.process.wait(10)
        wait_for(lambda: not answers(self.port), 10, "redis to stop")

    def shut_down(self) -> None:
        """A clean shutdown (SHUTDOWN NOSAVE, as a service manager's restart does): without
        persistence it loses what it held all the same."""
        assert self.process is not None
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(b"SHUTDOWN NOSAVE\r\n")
        self.process.wait(10)

    def hang(self) -> None:
        """Stop the process (SIGSTOP): connections open, nothing answers, as a server that
        hangs or a network path that drops packets."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)


class Process:
    url = ""  # a web server's address

    def __init__(self, args: list[str], env: dict[str, str], log: Path,
                 ready: Callable[[], object]) -> None:
        self.log = log
        self.handle = log.open("w")
        self.process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self.handle,
                                        stderr=subprocess.STDOUT)
        wait_for(lambda: ready() or self.process.poll() is not None, 60, log.stem)
        assert self.process.poll() is None, log.read_text()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.handle.close()


class Stack:
    def __init__(self, tmp: Path, twilio: FakeTwilio) -> None:
        self.tmp = tmp
        self.broker = RedisServer(tmp / "broker.log")
        self.cache = RedisServer(tmp / "cache.log")
        self.processes: list[Process] = []
        self.base_env = {
            **os.environ, **twilio.env(), "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "tests.faults.settings",
            "PZ_DB_NAME": str(connection.settings_dict["NAME"]),
            "PZ_BROKER_URL": self.broker.url, "PZ_CACHE_URL": self.cache.url,
        }
        self.url = ""

    def web(self) -> Process:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            try:
                return requests.get(self.url + "/login/", timeout=2).status_code < 500
            except requests.RequestException:
                return False

        web = self._start([sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}",
                           "--noreload"], ready, f"web{port}")
        web.url = self.url
        return web

    def worker(self, **env: str) -> Process:
        name = f"worker{len(self.processes)}"
        log = self.tmp / f"{name}.log"
        return self._start(
            [sys.executable, "-m", "celery", "-A", "tests.worker", "worker", "-P", "solo",
             "-Q", os.environ["PZ_TEST_QUEUE"], "-n", f"{name}@%h", "-l", "INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            lambda: "ready." in log.read_text(), name, env)

    def beat(self) -> Process:
        return self._start(
            [sys.executable, "-m", "celery", "-A", "tests.worker", "beat", "-l", "INFO",
             "-s", str(self.tmp / "beat-schedule"), "--max-interval", "1"],
            lambda: True, "beat")

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        """Run a management command with the stack's settings."""
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT,
                              env=self.base_env, capture_output=True, text=True, timeout=60)

    def _start(self, args: list[str], ready: Callable[[], object], name: str,
               env: dict[str, str] | None = None) -> Process:
        log = self.tmp / f"{name}.log"
        process = Process(args, {**self.base_env, **(env or {})}, log, ready)
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in self.processes:
            process.kill()
        self.broker.stop()
        self.cache.stop()


@pytest.fixture
def stack(transactional_db, twilio, tmp_path) -> Iterator[Stack]:
    if REDIS is None or connection.vendor != "postgresql":
        pytest.skip("the fault suite needs redis-server and PostgreSQL (PZ_REQUIRE_SERVICES "
                    "makes this an error)")
    built = Stack(tmp_path, twilio)
    yield built
    built.stop()


class Shopper:
    """A customer's browser session against the web server, as plain HTTP."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()

    def post(self, path: str, data: dict[str, object]) -> requests.Response:
        if "csrftoken" not in self.session.cookies:
            self.session.get(self.base + "/login/", timeout=30)
        return self.session.post(self.base + path, timeout=60, data={
            **data, "csrfmiddlewaretoken": self.session.cookies["csrftoken"]})

    def log_in(self, username: str, password: str = "demo") -> None:
        response = self.post("/login/", {"username": username, "password": password})
        assert "sessionid" in self.session.cookies, response.text[:500]

    def buy(self, product_id: int, quantity: int = 1) -> requests.Response:
        self.post("/cart/add/", {"product_id": product_id, "quantity": quantity})
        return self.post("/checkout/", {"name": "Jan de Vries", "email": "jan@example.com",
                                        "address": "Dorpsstraat 1", "discount_code": "",
                                        "action": "place"})


def b2b_customers(count: int) -> list[str]:
    account = AccountFactory(name="Hoeve De Vries", b2b=True, sales_rep__name="Pieter Mulder",
                             sales_rep__mobile="+31612345678")
    assert account.sales_rep is not None
    names = []
    for n in range(count):
        user = UserFactory(username=f"farmer{n}", first_name="Jan", last_name=f"Boer{n}")
        CustomerProfileFactory(user=user, account=account, customer_group="farm")
        names.append(user.username)
    return names


def all_sent(count: int):
    return lambda: RepNotification.objects.filter(status="sent").count() >= count
