"""App configuration: signal wiring and system checks."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PersonalizationConfig(AppConfig):
    name = "personalization"
    verbose_name = _("Personalization")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import (
            checks,  # noqa: F401  (registers the system checks)
            consent,
            privacy,
            receivers,
            rulebook,
        )
        from .identity import merge_on_login

        rulebook.connect_signals()
        consent.connect_signals()
        privacy.connect_signals()
        user_logged_in.connect(merge_on_login, dispatch_uid="pz_merge_on_login")
        receivers.connect()
