"""Requests an outside probe of the demo answered with a 500: each is now a clear 4xx (or,
for a refresh of a segment without rules, a clear message), never a server error."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

pytestmark = pytest.mark.django_db

DEEP = "[" * 5000 + "]" * 5000  # deeper than Python's json can parse


def probe() -> Client:
    """A browser whose failures come back as answers (a 500 too), not as exceptions."""
    return Client(raise_request_exception=False)


def test_events_posted_as_multipart_with_the_batch_as_a_file_are_a_400():
    client = probe()
    answer = client.post("/pz/api/events/", {"events": SimpleUploadedFile(
        "events.json", b'[{"type": "custom", "name": "signup"}]',
        content_type="application/json")})
    assert answer.status_code == 400 and "not JSON" in str(answer.json())
    # The same batch as a multipart text field, as FormData sends it, is read.
    sent = client.post("/pz/api/events/", {"events": '[{"type": "custom", "name": "signup"}]'})
    assert sent.status_code == 202


@pytest.mark.parametrize("method,path", [
    ("post", "/pz/api/events/"), ("put", "/pz/api/consent/"), ("delete", "/pz/api/me/"),
    ("post", "/pz/api/slots/"), ("post", "/pz/api/segments/"), ("post", "/pz/api/campaigns/")])
def test_json_nested_5000_deep_is_a_400(admin_user, method, path):
    client = probe()
    client.force_login(admin_user)
    answer = getattr(client, method)(path, DEEP, content_type="application/json")
    assert answer.status_code == 400, answer.content[:300]
    assert "nested too deeply" in answer.json()["detail"]


def test_a_deep_batch_in_the_scripts_form_is_a_400():
    answer = probe().post("/pz/api/events/", {"events": DEEP})
    assert answer.status_code == 400 and "not JSON" in str(answer.json())
