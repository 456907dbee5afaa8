"""The weather at the visitor's location, from a forecast service, never at the page's cost.

:class:`OpenMeteo` asks a service speaking Open-Meteo's forecast format (no key needed) for
the current temperature and weather code at the visitor's coordinates, rounded to half a
degree (about 50 km) so that neighbours share one answer. Each answer is kept in the cache
for the validity the service gives it (its ``interval``, 15 minutes). The call has a short
time-out; after a few failures in a row a circuit breaker stops asking for a minute. A slow,
failing or malformed answer is "unknown": weather rules then do not match, the page is
served as usual.
"""

from __future__ import annotations

import json
import logging
import math
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from personalization.breaker import CircuitBreaker
from personalization.cache import app_cache

logger = logging.getLogger(__name__)

#: The conditions weather rules can ask for.
CONDITIONS = ("clear", "clouds", "fog", "rain", "snow", "storm")


@dataclass(frozen=True)
class Weather:
    temperature: float | None
    condition: str | None


def condition_of(code: int) -> str | None:
    """A WMO weather interpretation code (Open-Meteo's ``weather_code``) as a condition."""
    if code in (0, 1):
        return "clear"
    if code in (2, 3):
        return "clouds"
    if code in (45, 48):
        return "fog"
    if 51 <= code <= 67 or 80 <= code <= 82:
        return "rain"
    if 71 <= code <= 77 or code in (85, 86):
        return "snow"
    if 95 <= code <= 99:
        return "storm"
    return None


class OpenMeteo:
    """A weather provider for ``PERSONALIZATION["WEATHER_PROVIDER"]``; its options come from
    ``WEATHER_OPTIONS`` (``url``, ``timeout`` seconds, ``failures`` before the breaker opens,
    ``pause`` seconds it stays open)."""

    def __init__(self, url: str = "https://api.open-meteo.com/v1/forecast",
                 timeout: float = 0.5, failures: int = 3, pause: float = 60.0,
                 fallback_ttl: int = 900) -> None:
        self.url, self.timeout = url, timeout
        self.pause, self.fallback_ttl = pause, fallback_ttl
        self._breaker = CircuitBreaker(failures, pause)

    def __call__(self, latitude: float, longitude: float) -> Weather | None:
        lat, lon = round(latitude * 2) / 2, round(longitude * 2) / 2
        key = f"pz:weather:{lat:.1f}:{lon:.1f}"
        cache = app_cache()
        found = cache.get(key)
        if found is not None:
            return Weather(*found)
        if self._breaker.is_open():
            return None  # the breaker is open: the service failed just now
        weather, ttl = self._fetch(lat, lon)
        if weather is not None:
            cache.set(key, (weather.temperature, weather.condition), ttl)
        return weather

    def _fetch(self, lat: float, lon: float) -> tuple[Weather | None, int]:
        query = (f"?latitude={lat}&longitude={lon}&current=temperature_2m,weather_code"
                 "&timezone=UTC")
        try:
            with urllib.request.urlopen(self.url + query, timeout=self.timeout) as answer:
                body = json.loads(answer.read(64 * 1024))
            current = body["current"]
            temperature = float(current["temperature_2m"])
            if not math.isfinite(temperature) or not -90 <= temperature <= 60:
                raise ValueError(f"temperature {temperature}")
            condition = condition_of(int(current["weather_code"]))
            ttl = int(current.get("interval") or self.fallback_ttl)
        except (OSError, ValueError, KeyError, TypeError, urllib.error.URLError) as exc:
            self._failed(exc)
            return None, 0
        self._breaker.succeeded()
        return Weather(temperature, condition), max(60, min(ttl, 3600))

    def _failed(self, exc: Exception) -> None:
        if self._breaker.failed():
            logger.warning("Weather service failing (%s); not asked for %.0f s",
                           exc, self.pause)


_providers: dict[Any, Any] = {}


def weather_provider() -> Any:
    """The configured provider (one per process and options), or None."""
    from personalization.conf import app_settings

    provider = app_settings.WEATHER_PROVIDER
    if provider is None:
        return None
    options = app_settings.WEATHER_OPTIONS
    key = (provider, json.dumps(options, sort_keys=True, default=str))
    if key not in _providers:
        _providers.clear()
        _providers[key] = provider(**options) if isinstance(provider, type) else provider
    return _providers[key]


#: Where a visitor is when only his country is known: its capital (latitude, longitude).
CAPITALS = {
    "AT": (48.2, 16.4), "BE": (50.85, 4.35), "CH": (46.95, 7.45), "DE": (52.5, 13.4),
    "DK": (55.7, 12.6), "ES": (40.4, -3.7), "FI": (60.2, 24.9), "FR": (48.85, 2.35),
    "GB": (51.5, -0.1), "GR": (37.95, 23.7), "IE": (53.35, -6.25), "IT": (41.9, 12.5),
    "LU": (49.6, 6.1), "NL": (52.35, 4.9), "NO": (59.9, 10.75), "PL": (52.25, 21.0),
    "PT": (38.7, -9.15), "SE": (59.35, 18.05), "US": (38.9, -77.05),
}
