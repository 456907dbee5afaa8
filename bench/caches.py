"""``python -m bench caches``: what each process-wide micro-cache saves a page.

For the demo home page and a category page, as a returning consenting visitor sees them
(personalization on, DEBUG off): how often a page calls each cached function, what one call
costs answered from the cache and worked out anew, and so what the cache saves per page, as
a share of the page's median time. Issue 29 keeps a cache only when it saves more than 1 %
of the page. Printed; docs/decisions.md quotes the figures.
"""

from __future__ import annotations

import statistics
import time
import timeit
from collections import Counter
from typing import Any

from django.conf import settings
from django.template import Context
from django.template.loader import get_template
from django.test.utils import override_settings

NUMBER, REPEAT = 2_000, 5
PAGES = ("/", "/c/cat-litter/")
REQUESTS = 200


def per_call(function: Any, before: Any = None) -> float:
    """Microseconds per call (best of REPEAT), ``before`` run first each time and its own
    cost taken off."""
    def timed(call: Any) -> float:
        return min(timeit.repeat(call, number=NUMBER, repeat=REPEAT)) / NUMBER * 1e6

    if before is None:
        return timed(function)
    return timed(lambda: (before(), function())) - timed(before)


def run() -> str:
    from bench.decisions import returning_visitors, setup_shop
    from personalization import conf
    from personalization.engine.decide import page_of
    from personalization.templatetags import personalization as tags
    from personalization.touchpoints import rendering, throttle

    setup_shop()
    lines = ["| page | micro-cache | calls per page | cached µs | anew µs | saves per page "
             "| share of page |", "|---|---|---:|---:|---:|---:|---:|"]
    with override_settings(DEBUG=False, ALLOWED_HOSTS=["*"]):
        clients = returning_visitors()
        for path in PAGES:
            for client in clients:
                client.get(path, HTTP_CF_IPCOUNTRY="NL")
            times = []
            for i in range(REQUESTS):
                start = time.perf_counter()
                response = clients[i % len(clients)].get(path, HTTP_CF_IPCOUNTRY="NL")
                times.append((time.perf_counter() - start) * 1e6)
            page_us = statistics.median(times)
            calls = count_calls(clients[0], path, rendering, tags, throttle, conf)
            request = response.wsgi_request
            script_context = Context({"request": request})
            decisions = list(page_of(request.visitor).decisions.values())
            names = sorted({d.variant.template_name for d in decisions
                            if d.variant is not None} | {"personalization/script.html"})
            costs = {
                "slot attributes": (
                    statistics.mean(per_call(lambda d=d: rendering._shared_attrs(d.slot, d))
                                    for d in decisions),
                    statistics.mean(per_call(lambda d=d: rendering._shared_attrs(d.slot, d),
                                             rendering._ATTRS.clear) for d in decisions)),
                "script tag": (
                    per_call(lambda c=script_context: tags.personalization_script(c)),
                    per_call(lambda c=script_context: tags.personalization_script(c),
                             tags._SCRIPTS.clear)),
                "cached template function": (
                    statistics.mean(per_call(lambda n=n: rendering._cached_template(n))
                                    for n in names),
                    statistics.mean(per_call(lambda n=n: get_template(n)) for n in names)),
                "django_setting": (per_call(lambda: conf.django_setting("DEBUG")),
                                   per_call(lambda: settings.DEBUG)),
            }
            for name, (cached, anew) in costs.items():
                saved = calls[name] * (anew - cached)
                lines.append(f"| `{path}` | {name} | {calls[name]} | {cached:.2f} | "
                             f"{anew:.2f} | {saved:.1f} µs | {saved / page_us * 100:.2f} % |")
            lines.append(f"| `{path}` | (median page, personalization on) | | | | "
                         f"{page_us / 1000:.2f} ms | |")
    return "\n".join(lines)


def count_calls(client: Any, path: str, rendering: Any, tags: Any, throttle: Any,
                conf: Any) -> Counter:
    """How often one request of the page calls each cached function (the template holds
    the script tag's function itself: its elements are counted in the page)."""
    calls: Counter = Counter()
    patched = [(rendering, "_shared_attrs", "slot attributes"),
               (rendering, "_cached_template", "cached template function")]
    patched += [(module, "django_setting", "django_setting")
                for module in (rendering, tags, throttle)]
    originals = [(module, name, getattr(module, name)) for module, name, _label in patched]

    def counting(function: Any, label: str) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls[label] += 1
            return function(*args, **kwargs)
        return wrapper

    for module, name, label in patched:
        setattr(module, name, counting(getattr(module, name), label))
    try:
        response = client.get(path, HTTP_CF_IPCOUNTRY="NL")
    finally:
        for module, name, original in originals:
            setattr(module, name, original)
    calls["script tag"] = response.content.count(b"personalization/pz.js")
    return calls
