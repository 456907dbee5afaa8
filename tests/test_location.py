"""Where a visitor is: a trusted CDN header, else a GeoIP2 database (a stub of geoip2's
reader here, the one part outside the product); a header nobody vouches for is ignored."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import RequestFactory

from personalization.engine import geo
from personalization.engine.context import VisitorContext

pytestmark = pytest.mark.django_db


class StubReader:
    """Answers like geoip2.database.Reader over a tiny table of addresses."""

    TABLE = {"198.51.100.7": ("NL", 52.09, 5.12), "203.0.113.9": ("ES", 41.39, 2.17)}

    def __init__(self, city: bool = True) -> None:
        self.is_city = city

    def country(self, ip: str):
        if ip not in self.TABLE:
            raise ValueError(f"{ip} is not in the database")
        return SimpleNamespace(country=SimpleNamespace(iso_code=self.TABLE[ip][0]))

    def city(self, ip: str):
        if not self.is_city:
            raise TypeError("The city method cannot be used with a country database")
        _, lat, lon = self.TABLE[ip]
        return SimpleNamespace(location=SimpleNamespace(latitude=lat, longitude=lon))


@pytest.fixture
def geoip(settings, monkeypatch):
    def use(header: str = "", city: bool = True) -> None:
        settings.PERSONALIZATION = {**settings.PERSONALIZATION, "GEOIP_PATH": "/data/geo.mmdb",
                                    "COUNTRY_HEADER": header}
        monkeypatch.setattr(geo, "_reader", lambda path: StubReader(city))
    return use


def visitor(ip: str = "198.51.100.7", **headers: str) -> VisitorContext:
    return VisitorContext(RequestFactory().get("/", REMOTE_ADDR=ip, **headers))


def test_a_trusted_cdn_header_wins(geoip):
    geoip(header="CF-IPCountry")
    assert visitor(HTTP_CF_IPCOUNTRY="be").country == "BE"
    assert visitor(HTTP_CF_IPCOUNTRY="XX").country == "NL"  # unknown: the database


def test_without_a_trusted_header_an_invented_one_is_ignored(geoip):
    geoip(header="")  # no proxy in front: nobody vouches for CF-IPCountry
    spoofed = visitor(HTTP_CF_IPCOUNTRY="ES")
    assert spoofed.country == "NL"
    assert visitor("203.0.113.9").country == "ES"
    assert visitor("192.0.2.1").country is None  # not in the database


def test_a_city_database_places_the_visitor_for_the_weather(geoip):
    geoip(header="")
    assert visitor().coordinates == (52.09, 5.12)
    geoip(header="", city=False)  # a country database has no coordinates: the capital
    assert visitor().coordinates == (52.35, 4.9)
