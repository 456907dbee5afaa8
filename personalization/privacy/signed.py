"""Signed cookie values, verified once per process."""

from __future__ import annotations

from typing import Any

from django.core import signing

_VERIFIED: dict[tuple[str, str], Any] = {}
_VERIFIED_MAX = 10_000


def verified_loads(raw: str, salt: str) -> Any:
    """``signing.loads`` remembering the cookies this process has already verified.

    A browser sends the same cookie value until it changes, so most requests skip the HMAC
    and decompression; only a value that once passed verification is ever remembered.
    """
    data = _VERIFIED.get((salt, raw))
    if data is None:
        data = signing.loads(raw, salt=salt)
        remember_signed(raw, salt, data)
    return data


def remember_signed(raw: str, salt: str, data: Any) -> None:
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.pop(next(iter(_VERIFIED)))
    _VERIFIED[(salt, raw)] = data
