"""The API fuzzed from its own OpenAPI schema (schemathesis generates the requests): whatever
is sent, within the schema or not, the answer is never a 500."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
import schemathesis
from django.core.management import call_command
from django.test import Client
from hypothesis import HealthCheck, given, settings
from schemathesis.core import NotSet

SECRET = "pzfuzzcsrfsecretpzfuzzcsrfsecret"  # 32 characters: a valid CSRF secret


def send(client: Client, case: object) -> object:
    """The generated request, through Django's test client (one database connection)."""
    body = case.body  # type: ignore[attr-defined]
    data = json.dumps(body) if body is not None and not isinstance(body, NotSet) else None
    query = urlencode(case.query or {}, doseq=True)  # type: ignore[attr-defined]
    headers = {k: v for k, v in (case.headers or {}).items()  # type: ignore[attr-defined]
               if isinstance(v, str) and v.isascii() and "\n" not in v}
    return client.generic(case.method, case.formatted_path,  # type: ignore[attr-defined]
                          data=data or "", content_type=case.media_type or "application/json",
                          QUERY_STRING=query, headers=headers)


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
            response = send(client, case)
            assert response.status_code < 500, (case.method, case.path, case.query,
                                                 case.body, response.content[:500])

        call()
