"""Every model of the app has a factory in tests/factories.py, and each builds a valid row."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models
from polymorphic.models import PolymorphicModel

from tests.factories import factory_for

pytestmark = pytest.mark.django_db


def app_models() -> list[type[models.Model]]:
    """The app's concrete models, less the polymorphic bases (Rule, ContentVariant): a row
    of those is always one of their subclasses, which have factories of their own."""
    found = []
    for model in apps.get_app_config("personalization").get_models():
        if model._meta.abstract or model._meta.proxy or model._meta.auto_created:
            continue
        if issubclass(model, PolymorphicModel) and any(
                issubclass(other, model) and other is not model
                for other in apps.get_app_config("personalization").get_models()):
            continue
        found.append(model)
    return found


def has_factory(model: type[models.Model]) -> bool:
    try:
        factory_for(model)
    except LookupError:
        return False
    return True


def test_every_model_of_the_app_has_a_factory():
    missing = [model.__name__ for model in app_models() if not has_factory(model)]

    assert not missing, f"Add a factory to tests/factories.py for: {', '.join(missing)}"


@pytest.mark.parametrize("model", app_models(), ids=lambda model: model.__name__)
def test_the_factory_builds_a_valid_row(model):
    made = factory_for(model)()

    stored = model.objects.get(pk=made.pk)
    assert type(stored) is model  # a polymorphic row comes back as its own type
    stored.full_clean()


def test_tests_build_the_apps_models_through_their_factories():
    """A test that makes an app row by hand, through the model's manager, repeats what the
    factory knows (a live status, a variant, the rules' order) and drifts from it. Bulk
    inserts of many rows (events for a report's figures) stay bulk."""
    import re
    from pathlib import Path

    names = "|".join(sorted(model.__name__ for model in
                            apps.get_app_config("personalization").get_models()))
    by_hand = re.compile(rf"\b({names})\.objects\.(get_or_|update_or_)?create\(")
    tests = Path(__file__).resolve().parent
    found = [f"{path.relative_to(tests)}:{number}: {line.strip()}"
             for path in sorted(tests.rglob("*.py")) if path.name != "factories.py"
             for number, line in enumerate(path.read_text().splitlines(), 1)
             if by_hand.search(line)]

    assert not found, "Build these rows with tests/factories.py:\n" + "\n".join(found)
