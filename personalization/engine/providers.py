"""Pluggable providers of outside facts (weather)."""

from __future__ import annotations


def no_temperature(country: str | None, city: str | None) -> float | None:
    """The default temperature provider: knows nothing, so temperature rules never match."""
    return None


def table_temperature(country: str | None, city: str | None) -> float | None:
    """A demo provider: a fixed table of typical temperatures per country (°C)."""
    table = {"NL": 9.0, "BE": 10.0, "DE": 8.0, "ES": 19.0, "IT": 17.0, "GR": 20.0, "PT": 18.0,
             "FR": 12.0, "GB": 9.0, "SE": 3.0, "NO": 1.0}
    return table.get((country or "").upper())
