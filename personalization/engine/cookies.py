"""The visitor's signed cookies: his state between requests, and his caps and dismissals."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core import signing

logger = logging.getLogger(__name__)

STATE_SALT = "personalization.visitor"
CAPS_SALT = "personalization.caps"
VISIT_GAP_SECONDS = 30 * 60  # a new visit starts after 30 minutes without a request
MAX_VIEWED_CATEGORIES = 12
#: Bandit runs whose arm the cookie keeps (the latest); older runs have ended long ago.
MAX_STICKY_RUNS = 20


def bounded_arms(arms: dict[str, int]) -> dict[str, int]:
    """The latest MAX_STICKY_RUNS entries of run id -> variant id (insertion order)."""
    if len(arms) <= MAX_STICKY_RUNS:
        return arms
    return dict(list(arms.items())[-MAX_STICKY_RUNS:])


@dataclass
class VisitorState:
    """What the signed visitor cookie remembers between requests (no database needed)."""

    vid: str
    visits: int = 1
    last: int = 0
    first_touch: dict[str, str] = field(default_factory=dict)
    last_touch: dict[str, str] = field(default_factory=dict)
    views: dict[str, int] = field(default_factory=dict)
    last_category: str = ""
    #: The visit (number) whose visit to a personalized page was recorded.
    recorded_visit: int = 0
    #: His variant in each bandit run (run id -> variant id): sticky while weights move.
    arms: dict[str, int] = field(default_factory=dict)
    is_new: bool = False
    changed: bool = False
    #: This request starts a visit (the first, or one after a 30-minute gap).
    new_visit: bool = False

    def dumps(self) -> str:
        data = {"v": self.vid, "n": self.visits, "t": self.last}
        if self.first_touch:
            data["f"] = self.first_touch
        if self.last_touch:
            data["l"] = self.last_touch
        if self.views:
            data["c"] = self.views
        if self.last_category:
            data["k"] = self.last_category
        if self.recorded_visit:
            data["p"] = self.recorded_visit
        if self.arms:
            data["a"] = self.arms
        return signing.dumps(data, salt=STATE_SALT, compress=True)

    @classmethod
    def loads(cls, raw: str | None) -> VisitorState:
        """The state in the cookie, or a new visitor when it is missing or tampered with."""
        if raw:
            try:
                data = signing.loads(raw, salt=STATE_SALT)
                return cls(vid=str(uuid.UUID(data["v"])), visits=int(data.get("n", 1)),
                           last=int(data.get("t", 0)), first_touch=dict(data.get("f", {})),
                           last_touch=dict(data.get("l", {})),
                           views={str(k): int(v) for k, v in data.get("c", {}).items()},
                           last_category=str(data.get("k", "")),
                           recorded_visit=int(data.get("p", 0)),
                           arms=bounded_arms({str(int(k)): int(v)
                                              for k, v in data.get("a", {}).items()}))
            except Exception:  # any malformed payload (even Infinity) reads as none
                logger.info("Ignoring an invalid visitor cookie.")
        return cls(vid=str(uuid.uuid4()), is_new=True, changed=True)

    def touch(self, now: int) -> None:
        """Count a new visit when the last request was long enough ago."""
        if self.is_new:
            self.new_visit = True
        elif self.last and now - self.last > VISIT_GAP_SECONDS:
            self.visits += 1
            self.changed = self.new_visit = True
        if now - self.last > 60:  # keep the cookie quiet within a minute
            self.last = now
            self.changed = True

    def record_utm(self, utm: dict[str, str]) -> None:
        if utm and utm != self.last_touch:
            self.last_touch = utm
            self.changed = True
        if utm and not self.first_touch:
            self.first_touch = utm
            self.changed = True

    def remember_arm(self, run_id: int, variant_id: int) -> None:
        """Keep the visitor's variant in a bandit run (the oldest runs drop out)."""
        key = str(run_id)
        if self.arms.get(key) == variant_id:
            return
        self.arms.pop(key, None)
        self.arms[key] = variant_id
        self.arms = bounded_arms(self.arms)
        self.changed = True

    def record_view(self, category_ids: tuple[int, ...]) -> None:
        """Count a visit to a category: entering it, not every page viewed inside it."""
        if not category_ids:
            return
        key = str(category_ids[0])
        if key == self.last_category:
            return
        self.last_category = key
        self.views[key] = self.views.get(key, 0) + 1
        if len(self.views) > MAX_VIEWED_CATEGORIES:
            smallest = min(self.views, key=self.views.get)
            del self.views[smallest]
        self.changed = True


@dataclass
class Caps:
    """Per-visitor impression counters for frequency caps and the campaigns the visitor
    dismissed, kept in a signed cookie: ``{campaign id: [n, period start], "d": {campaign
    id: dismissed until}}`` (Unix seconds)."""

    counts: dict[str, list[int]] = field(default_factory=dict)  # campaign id -> [n, start]
    dismissed: dict[str, int] = field(default_factory=dict)  # campaign id -> until
    changed: bool = False

    @classmethod
    def loads(cls, raw: str | None) -> Caps:
        if raw:
            try:
                data = dict(signing.loads(raw, salt=CAPS_SALT))
                dismissed = {str(k): int(v) for k, v in (data.pop("d", None) or {}).items()}
                return cls(counts={str(k): [int(v[0]), int(v[1])] for k, v in data.items()},
                           dismissed=dismissed)
            except Exception:  # any malformed payload (even Infinity) reads as none
                pass
        return cls()

    def dumps(self) -> str:
        data: dict[str, Any] = dict(self.counts)
        now = int(time.time())
        live = {k: until for k, until in self.dismissed.items() if until > now}
        if live:
            data["d"] = live
        return signing.dumps(data, salt=CAPS_SALT, compress=True)

    def count(self, campaign_id: int, period_hours: int, now: int) -> int:
        entry = self.counts.get(str(campaign_id))
        if not entry or now - entry[1] >= period_hours * 3600:
            return 0
        return entry[0]

    def add(self, campaign_id: int, period_hours: int, now: int) -> None:
        key = str(campaign_id)
        entry = self.counts.get(key)
        if not entry or now - entry[1] >= period_hours * 3600:
            self.counts[key] = [1, now]
        else:
            entry[0] += 1
        self.changed = True

    def dismiss(self, campaign_id: int, hours: int, now: int) -> None:
        """Remember that the visitor closed the campaign's content, for ``hours``."""
        self.dismissed[str(campaign_id)] = now + max(hours, 1) * 3600
        self.changed = True

    def is_dismissed(self, campaign_id: int, now: int) -> bool:
        return self.dismissed.get(str(campaign_id), 0) > now
