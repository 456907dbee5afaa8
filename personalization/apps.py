"""App configuration: signal wiring and system checks."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PersonalizationConfig(AppConfig):
    name = "personalization"
    verbose_name = _("Personalization")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
