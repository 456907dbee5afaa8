"""Country and coordinates of an IP address through a GeoIP2 database (optional)."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from personalization.conf import app_settings

logger = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _reader(path: str) -> Any:
    import geoip2.database

    return geoip2.database.Reader(path)


def country_of_ip(ip: str) -> str | None:
    if not ip:
        return None
    try:
        return _reader(str(app_settings.GEOIP_PATH)).country(ip).country.iso_code
    except Exception:  # unknown address, private range, unreadable database
        return None


def coordinates_of_ip(ip: str) -> tuple[float, float] | None:
    """Latitude and longitude from a GeoIP2 *city* database; None with a country database
    (it has no coordinates), an unknown address or an unreadable file."""
    if not ip:
        return None
    try:
        location = _reader(str(app_settings.GEOIP_PATH)).city(ip).location
    except Exception:
        return None
    if location.latitude is None or location.longitude is None:
        return None
    return float(location.latitude), float(location.longitude)
