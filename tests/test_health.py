"""``manage.py pz_health``: each part's state, and a failing exit status when one is down."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from personalization import cache as pz_cache
from tests.factories import OutboxMessageFactory
from tests.test_cache_down import DEAD

pytestmark = pytest.mark.django_db


def health(capsys) -> tuple[int, str]:
    try:
        call_command("pz_health")
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, capsys.readouterr().out


def test_all_parts_up(capsys):
    code, out = health(capsys)
    assert code == 0
    assert "ok   database" in out and "ok   cache" in out and "ok   outbox" in out


def test_a_dead_cache_and_an_old_backlog_are_reported_down(capsys):
    OutboxMessageFactory(function="personalization.measurement.orders.record_order",
                         available_at=timezone.now() - timedelta(minutes=20))
    with override_settings(CACHES=DEAD):
        code, out = health(capsys)
    pz_cache.reset()
    assert code == 1
    assert "DOWN cache" in out and "ConnectionError" in out
    assert "DOWN outbox" in out and "1 message(s) waiting" in out
    assert "ok   database" in out
