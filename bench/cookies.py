"""``python -m bench cookies``: what verifying the visitor's signed cookies costs a request.

Every request reads the visitor, caps and consent cookies with ``signing.loads`` (HMAC,
base64, zlib, JSON). The cookies are the largest the app writes: a returning visitor with
first and last UTM touches and views of 12 categories, caps for 6 campaigns and one
dismissal, choices for the three optional purposes. Printed, not written to RESULTS.md:
docs/decisions.md ("Signed cookies are verified on every request") quotes it.
"""

from __future__ import annotations

import timeit

from django.core import signing

REPEAT, NUMBER = 5, 20_000


def cookies() -> list[tuple[str, str, str]]:
    from personalization.engine.cookies import CAPS_SALT, STATE_SALT, Caps, VisitorState
    from personalization.privacy.consent import COOKIE_SALT, ConsentState

    state = VisitorState(
        vid="0b7e0b1e-8f7a-4a43-9d4e-0c5b7a0c8f21", visits=7, last=1_765_000_000,
        first_touch={"source": "newsletter", "medium": "email", "campaign": "winter"},
        last_touch={"source": "google", "medium": "cpc", "campaign": "cats"},
        views={str(i): i + 1 for i in range(12)}, last_category="11", recorded_visit=7)
    caps = Caps(counts={str(i): [2, 1_765_000_000] for i in range(6)},
                dismissed={"3": 1_765_090_000})
    consent = ConsentState(choices={"personalization": True, "analytics": True,
                                    "marketing": False}, version="1", at=1_765_000_000)
    return [("visitor", state.dumps(), STATE_SALT), ("caps", caps.dumps(), CAPS_SALT),
            ("consent", consent.dumps(), COOKIE_SALT)]


def run() -> str:
    lines = ["| cookie | bytes | `signing.loads` µs |", "|---|---:|---:|"]
    total = 0.0
    for name, raw, salt in cookies():
        seconds = min(timeit.repeat(lambda raw=raw, salt=salt: signing.loads(raw, salt=salt),
                                    number=NUMBER, repeat=REPEAT)) / NUMBER
        total += seconds * 1e6
        lines.append(f"| {name} | {len(raw)} | {seconds * 1e6:.1f} |")
    lines.append(f"| all three, per request | | {total:.1f} |")
    return "\n".join(lines)
