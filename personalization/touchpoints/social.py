"""Social proof: "bought 37 times this week", counted by the shop's adapter and cached."""

from __future__ import annotations

from personalization.adapters import get_adapter
from personalization.cache import app_cache

#: A product's count is cached this long: social proof need not be exact to the minute.
SOCIAL_PROOF_SECONDS = 15 * 60


def times_bought(product_id: int, days: int = 7) -> int:
    """Orders containing the product in the last ``days`` days (cached, misses included)."""
    cache = app_cache()
    key = f"pz:bought:{product_id}:{days}"
    count = cache.get(key)
    if count is None:
        count = int(get_adapter().times_bought(product_id, days) or 0)
        cache.set(key, count, SOCIAL_PROOF_SECONDS)
    return count
