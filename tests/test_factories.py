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
