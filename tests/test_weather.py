"""Live weather as a rule input, from a local server speaking Open-Meteo's forecast format:
rain shows the rain campaign, a slow, failing or malformed service never costs the page, and
answers are shared by neighbours and kept for their validity."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from personalization.engine import weather as weather_module
from personalization.rules import TemperatureRule, WeatherRule
from personalization.testing import give_consent
from tests.factories import CampaignFactory, SegmentFactory, SlotFactory

pytestmark = pytest.mark.django_db


class FakeForecast:
    """Answers /v1/forecast like Open-Meteo; ``mode``: ok, slow, fail, garbage, absurd."""

    def __init__(self) -> None:
        self.mode, self.code, self.temperature = "ok", 61, 7.5
        self.asked: list[tuple[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                query = parse_qs(urlsplit(self.path).query)
                fake.asked.append((query["latitude"][0], query["longitude"][0]))
                if fake.mode == "slow":
                    time.sleep(1.5)
                if fake.mode == "fail":
                    self.send_response(503)
                    self.end_headers()
                    return
                body = b"<html>not json" if fake.mode == "garbage" else json.dumps({
                    "latitude": float(query["latitude"][0]), "current": {
                        "time": "2026-12-04T10:00", "interval": 900,
                        "temperature_2m": 999 if fake.mode == "absurd" else fake.temperature,
                        "weather_code": fake.code}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1/forecast"


@pytest.fixture
def forecast(settings):
    fake = FakeForecast()
    settings.PERSONALIZATION = {
        **settings.PERSONALIZATION,
        "WEATHER_PROVIDER": "personalization.engine.weather.OpenMeteo",
        "WEATHER_OPTIONS": {"url": fake.url, "timeout": 0.3, "failures": 3, "pause": 60},
        "COORDINATES_HEADERS": ["CF-IPLatitude", "CF-IPLongitude"]}
    weather_module._providers.clear()
    yield fake
    weather_module._providers.clear()
    fake.server.shutdown()


@pytest.fixture
def rain_campaign():
    rainy = SegmentFactory(slug="rainy", rules=[WeatherRule(conditions=["rain", "storm"])])
    CampaignFactory(slot=SlotFactory(key="home_hero"), name="Rain", segments=(rainy,),
                    variants=("Umbrellas in stock",))


def home(**headers: str) -> str:
    return give_consent(Client()).get("/", **headers).content.decode()


AMSTERDAM = {"HTTP_CF_IPLATITUDE": "52.37", "HTTP_CF_IPLONGITUDE": "4.89"}


def test_rain_at_the_visitor_shows_the_rain_campaign_and_sun_does_not(forecast,
                                                                      rain_campaign):
    assert "Umbrellas in stock" in home(**AMSTERDAM)
    assert forecast.asked == [("52.5", "5.0")]  # rounded to half a degree
    forecast.code = 0  # clear sky: a new place, a new question
    assert "Umbrellas in stock" not in home(HTTP_CF_IPLATITUDE="40.4",
                                            HTTP_CF_IPLONGITUDE="-3.7")


def test_neighbours_share_one_answer_kept_for_its_validity(forecast, rain_campaign):
    home(**AMSTERDAM)
    home(HTTP_CF_IPLATITUDE="52.30", HTTP_CF_IPLONGITUDE="4.95")  # a few km away
    home(**AMSTERDAM)
    assert len(forecast.asked) == 1


def test_without_coordinates_the_country_capital_is_asked(forecast, rain_campaign):
    assert "Umbrellas in stock" in home(HTTP_CF_IPCOUNTRY="BE")
    assert forecast.asked == [("51.0", "4.5")]  # Brussels, rounded


def test_coordinates_headers_are_not_trusted_unless_named(forecast, rain_campaign, settings):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "COORDINATES_HEADERS": None}
    home(HTTP_CF_IPCOUNTRY="NL", HTTP_CF_IPLATITUDE="-33.9", HTTP_CF_IPLONGITUDE="18.4")
    assert forecast.asked == [("52.5", "5.0")]  # Amsterdam, not the invented Cape Town


@pytest.mark.parametrize("mode", ["slow", "fail", "garbage", "absurd"])
def test_a_bad_service_means_unknown_weather_never_a_slow_or_broken_page(
        forecast, rain_campaign, mode):
    forecast.mode = mode
    started = time.monotonic()
    page = give_consent(Client()).get("/", **AMSTERDAM)
    assert page.status_code == 200 and time.monotonic() - started < 1.2
    assert "Umbrellas in stock" not in page.content.decode()


def test_the_breaker_stops_asking_a_failing_service_for_a_while(forecast, rain_campaign):
    forecast.mode = "fail"
    for latitude in ("40", "41", "42", "43", "44"):  # five places, none cached
        home(HTTP_CF_IPLATITUDE=latitude, HTTP_CF_IPLONGITUDE="4")
    assert len(forecast.asked) == 3  # three failures open it; the next two are not asked


def test_temperature_rules_read_the_live_temperature(forecast):
    cold = SegmentFactory(slug="cold", rules=[TemperatureRule(maximum=10)])
    CampaignFactory(slot=SlotFactory(key="home_hero"), name="Cold", segments=(cold,),
                    variants=("Soup weather",))
    assert "Soup weather" in home(**AMSTERDAM)  # 7.5 °C
    forecast.temperature = 21
    assert "Soup weather" not in home(HTTP_CF_IPLATITUDE="45", HTTP_CF_IPLONGITUDE="9")


def test_without_a_weather_provider_the_offline_table_gives_the_temperature(settings):
    settings.PERSONALIZATION = {
        **settings.PERSONALIZATION,
        "TEMPERATURE_PROVIDER": "personalization.engine.providers.table_temperature"}
    warm = SegmentFactory(slug="warm", rules=[TemperatureRule(minimum=15)])
    CampaignFactory(slot=SlotFactory(key="home_hero"), name="Warm", segments=(warm,),
                    variants=("Ice cream",))
    assert "Ice cream" in home(HTTP_CF_IPCOUNTRY="ES")  # 19 °C in the table
    assert "Ice cream" not in home(HTTP_CF_IPCOUNTRY="NL")
