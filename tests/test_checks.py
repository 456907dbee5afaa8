"""System checks a developer sees at start-up."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError


@pytest.mark.parametrize("interval", [-1, "fast", 600, None])
def test_a_wrong_event_send_interval_stops_start_up(settings, interval):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "EVENT_SEND_INTERVAL": interval}
    with pytest.raises(SystemCheckError, match="personalization.E008"):
        call_command("check")


@pytest.mark.parametrize("interval", [0, 0.1, 2])
def test_a_sensible_event_send_interval_passes(settings, interval):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "EVENT_SEND_INTERVAL": interval}
    call_command("check")


@pytest.mark.parametrize("window", [-1, "30s", 7200, None, True])
def test_a_wrong_repeat_window_stops_start_up(settings, window):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "EVENT_REPEAT_WINDOW": window}
    with pytest.raises(SystemCheckError, match="personalization.E011"):
        call_command("check")


@pytest.mark.parametrize("window", [0, 30, 3600])
def test_a_sensible_repeat_window_passes(settings, window):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "EVENT_REPEAT_WINDOW": window}
    call_command("check")
