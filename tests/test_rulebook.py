"""The RuleBook: built once, shared through the cache, invalidated on commit of a change."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings

from personalization.engine import rulebook
from personalization.models import Campaign
from tests.factories import CampaignFactory, SlotFactory

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_build_costs_one_query_per_table_and_warm_read_none(django_assert_num_queries,
                                                            django_assert_max_num_queries):
    s = SlotFactory(key="home_hero")
    for i in range(20):
        CampaignFactory(slot=s, name=f"c{i}")
    rulebook.invalidate()
    rulebook.reset_local()
    rulebook.get_rulebook()  # warms ContentType caches
    rulebook.invalidate()
    rulebook.reset_local()
    with django_assert_max_num_queries(8):  # segments, rules, slots, campaigns, m2m, variants
        book = rulebook.get_rulebook()
    assert book.campaign_count == 20
    with django_assert_num_queries(0):
        assert rulebook.get_rulebook() is book


@pytest.mark.django_db
def test_saving_a_campaign_bumps_the_version_on_commit(django_capture_on_commit_callbacks):
    c = CampaignFactory(slot=SlotFactory(key="home_hero"), name="c")
    before = rulebook.current_version()
    with django_capture_on_commit_callbacks(execute=True):
        c.priority = 5
        c.save()
    assert rulebook.current_version() != before


@pytest.mark.multiprocess
@pytest.mark.django_db(transaction=True)
def test_admin_change_shows_on_next_request_of_another_process(tmp_path, settings):
    env = dict(os.environ, PZ_DB_NAME=connection.settings_dict["NAME"],
               DJANGO_SETTINGS_MODULE="tests.settings", PYTHONPATH=str(ROOT))
    cache_override = {}
    if not os.environ.get("REDIS_URL"):  # LocMem is per process: share a file cache instead
        env["PZ_CACHE_DIR"] = str(tmp_path / "cache")
        cache_override = {"default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": env["PZ_CACHE_DIR"]}}
    with override_settings(**({"CACHES": cache_override} if cache_override else {})):
        c = CampaignFactory(slot=SlotFactory(key="hero"), name="Winter", variants=("Winter sale",))
        child = subprocess.Popen([sys.executable, "-m", "tests.pz_child"],
                                 cwd=ROOT, env=env, stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True)
        try:
            assert child.stdout.readline().strip() == "ready"

            def ask() -> str:
                child.stdin.write("/_pz/slots/\n")
                child.stdin.flush()
                return child.stdout.readline().strip()

            assert ask() == "Winter sale"
            c.status = Campaign.Status.PAUSED
            c.save()  # what the admin does; autocommit runs the on-commit hook now
            assert ask() == "default"
            c.status = Campaign.Status.LIVE
            c.save()
            v = c.variants.get()
            v.headline = "Spring sale"
            v.save()
            assert ask() == "Spring sale"
        finally:
            child.stdin.close()
            child.wait(timeout=30)
        rulebook.reset_local()
