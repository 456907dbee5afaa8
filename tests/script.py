"""What the bundled script sends: one event, as the form ``navigator.sendBeacon`` posts to
the API's ``events/`` endpoint (the CSRF token in the form, the batch as JSON)."""

import json
import re

from django.test import Client


def script_token(client: Client, html: str) -> str:
    """The token written into the page, or the CSRF cookie the page names."""
    written = re.search(r'data-pz-csrf="([^"]+)"', html)
    if written:
        return written.group(1)
    cookie = re.search(r'data-pz-csrf-cookie="([^"]+)"', html).group(1)
    return client.cookies[cookie].value


def exposure_token(html: str, campaign: int) -> str:
    """The exposure token of the slot of ``html`` that shows ``campaign`` ("" if none)."""
    for tag in re.findall(rf'<[^>]*data-pz-campaign="{campaign}"[^>]*>', html):
        found = re.search(r'data-pz-token="([^"]+)"', tag)
        if found:
            return found.group(1)
    return ""


def report(client: Client, html: str, type: str, campaign: int,
           variant: int | None = None):
    """Post one event from the page ``html`` as the script does (with the exposure token
    of the slot showing ``campaign``)."""
    url = re.search(r'data-pz-events-url="([^"]+)"', html).group(1)
    event = {"type": type, "campaign": campaign, "token": exposure_token(html, campaign)}
    if variant is not None:
        event["variant"] = variant
    return client.post(url, {"csrfmiddlewaretoken": script_token(client, html),
                             "events": json.dumps([event])})
