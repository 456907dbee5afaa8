"""The API fuzzed from its own OpenAPI schema (schemathesis generates the requests): whatever
is sent, within the schema or not, the answer is never a 500, and an answer whose status the
schema documents has the shape the schema gives it."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
import requests
import schemathesis
from django.core.management import call_command
from django.test import Client
from hypothesis import HealthCheck, given, settings
from schemathesis.core import NotSet
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import response_schema_conformance

SECRET = "pzfuzzcsrfsecretpzfuzzcsrfsecret"  # 32 characters: a valid CSRF secret


def send(client: Client, case: object) -> tuple[object, object]:
    """The generated request through Django's test client (one database connection), and its
    answer as schemathesis reads answers."""
    body = case.body  # type: ignore[attr-defined]
    data = json.dumps(body) if body is not None and not isinstance(body, NotSet) else None
    query = urlencode(case.query or {}, doseq=True)  # type: ignore[attr-defined]
    headers = {k: v for k, v in (case.headers or {}).items()  # type: ignore[attr-defined]
               if isinstance(v, str) and v.isascii() and "\n" not in v}
    media_type = case.media_type or "application/json"  # type: ignore[attr-defined]
    response = client.generic(case.method, case.formatted_path,  # type: ignore[attr-defined]
                              data=data or "", content_type=media_type,
                              QUERY_STRING=query, headers=headers)
    sent = requests.Request(method=case.method,  # type: ignore[attr-defined]
                            url=f"http://testserver{case.formatted_path}?{query}",  # type: ignore[attr-defined]
                            headers={**headers, "Content-Type": media_type},
                            data=data).prepare()
    read = Response(status_code=response.status_code,
                    headers={k.lower(): [v] for k, v in response.headers.items()},
                    content=response.content, request=sent, elapsed=0.0,
                    message=response.reason_phrase, encoding=response.charset or "utf-8",
                    http_version="1.1", verify=False)
    return response, read


@pytest.mark.django_db
def test_no_request_makes_the_api_fail():
    from drf_spectacular.generators import SchemaGenerator

    call_command("seed_demo", customers=10, history=False, verbosity=0)
    spec = SchemaGenerator().get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(spec)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {(op.method.upper(), op.path) for op in operations} >= {
        ("GET", "/pz/api/decisions/"), ("POST", "/pz/api/events/"),
        ("PUT", "/pz/api/consent/"), ("DELETE", "/pz/api/me/")}
    client = Client(raise_request_exception=False)
    client.cookies["csrftoken"] = SECRET
    for operation in operations:
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def call(case):
            response, read = send(client, case)
            assert response.status_code < 500, (case.method, case.path, case.query,
                                                 case.body, response.content[:500])
            case.validate_response(read, checks=[response_schema_conformance])

        call()


#: Bodies an outside probe sent (issue 27), and their kin: none may be answered with a 500.
HOSTILE = [
    ("application/json", "[" * 5000 + "]" * 5000),
    ("application/json", '{"a":' * 5000 + "1" + "}" * 5000),
    ("application/json", "[]"), ("application/json", "null"), ("application/json", "1e999"),
    ("application/json", '"text"'), ("application/json", b"\xff\xfe{"),
    ("application/json", '{"events": NaN}'),
    ("application/x-www-form-urlencoded", "events=" + "[" * 5000),
    ("multipart/form-data; boundary=pz", b"--pz\r\nContent-Disposition: form-data; "
     b'name="events"; filename="e.json"\r\nContent-Type: application/json\r\n\r\n[]\r\n'
     b"--pz--\r\n"),
    ("multipart/form-data; boundary=pz", b"--pz\r\nbroken"),
]


@pytest.mark.django_db
def test_no_hostile_body_makes_a_write_fail(admin_user):
    from drf_spectacular.generators import SchemaGenerator

    from tests.factories import CampaignFactory, SegmentFactory

    campaign = CampaignFactory()
    segment = SegmentFactory(kind="computed")
    ids = {"id": campaign.pk}
    spec = SchemaGenerator().get_schema(request=None, public=True)
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    client.cookies["csrftoken"] = SECRET
    writes = [(method, path) for path, item in spec["paths"].items()
              for method in item if method in ("post", "put", "patch", "delete")]
    assert len(writes) >= 12
    for method, path in writes:
        url = path.replace("{id}", str(segment.pk if "segments" in path else ids["id"]))
        for content_type, body in HOSTILE:
            answer = client.generic(method.upper(), url, body, content_type=content_type,
                                    headers={"X-CSRFToken": SECRET})
            assert answer.status_code < 500, (method, url, content_type, answer.content[:300])
