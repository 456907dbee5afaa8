"""The API's decisions are the pages' decisions: same visitor, same answer; bad input is a
400 with field errors; the schema is OpenAPI 3 and its docs are served without a CDN."""

import re

import pytest
from django.core.management import call_command
from django.test import Client

from personalization.testing import give_consent

pytestmark = pytest.mark.django_db

API = "/pz/api/decisions/"


@pytest.fixture
def seeded():
    call_command("seed_demo", customers=20, history=False, verbosity=0)


def persona(username: str) -> Client:
    client = give_consent(Client())
    client.post("/login/", {"username": username, "password": "demo"})
    return client


def page_decisions(client: Client, path: str) -> dict[str, tuple[str, str]]:
    html = client.get(path).content.decode()
    return {m.group(1): (m.group(2), m.group(3)) for m in re.finditer(
        r'data-pz-slot="([\w-]+)" data-pz-campaign="(\d+)" data-pz-variant="(\d+)"', html)}


@pytest.mark.parametrize("username", ["anna", "jan", "lisa", "tom"])
def test_the_api_answers_what_the_page_shows_the_same_visitor(seeded, username):
    client = persona(username)
    shown = page_decisions(client, "/")
    assert shown, "the home page personalizes something for every persona"
    answer = client.get(API, {"slot": list(shown), "path": "/"}).json()["decisions"]
    assert {d["slot"]: (str(d["campaign"]), str(d["variant"])) for d in answer} == shown
    for decision in answer:
        assert decision["shows_variant"] and decision["content"]["fields"]


def test_a_banner_comes_with_its_markup_and_fields(seeded):
    client = persona("anna")
    answer = client.get(API, {"slot": ["greeting", "nowhere"]}).json()["decisions"]
    greeting, nowhere = answer
    assert greeting["content"]["html"] and "Anna" in greeting["content"]["html"]
    assert nowhere == {"slot": "nowhere", "kind": "", "campaign": None, "variant": None,
                       "control": False, "shows_variant": False, "content": None}


def test_bad_input_is_a_400_with_field_errors(seeded):
    client = Client()
    assert client.get(API).status_code == 400
    errors = client.get(API, {"slot": "Bad Slot!", "path": "no-slash"}).json()
    assert "slot" in errors and "path" in errors
    assert client.get(API, {"slot": [f"s{n}" for n in range(21)]}).status_code == 400
    assert client.get(API, {"slot": "home_hero", "category": "x"}).status_code == 400
    assert client.post(API, {"slot": "home_hero"}).status_code == 405


def test_the_schema_is_openapi_3_and_the_docs_use_no_cdn(seeded):
    client = Client()
    schema = client.get("/pz/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    spec = schema.json()
    assert spec["openapi"].startswith("3.") and "/pz/api/decisions/" in spec["paths"]
    docs = client.get("/pz/api/docs/").content.decode()
    assert "swagger-ui" in docs and "cdn" not in docs.lower()
