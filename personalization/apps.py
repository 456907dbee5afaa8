"""App configuration: signal wiring and system checks."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PersonalizationConfig(AppConfig):
    name = "personalization"
    verbose_name = _("Personalization")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        # checks registers the system checks. The Celery tasks live in jobs/, where Celery's
        # autodiscovery (``<app>.tasks``) does not look: importing them here registers them.
        from personalization import checks  # noqa: F401
        from personalization.datarights import subjects
        from personalization.engine import rulebook
        from personalization.engine.identity import merge_on_login, start_over_on_logout
        from personalization.jobs import receivers, tasks  # noqa: F401
        from personalization.measurement import experiments
        from personalization.models import variants
        from personalization.privacy import consent

        rulebook.connect_signals()
        consent.connect_signals()
        subjects.connect_signals()
        user_logged_in.connect(merge_on_login, dispatch_uid="pz_merge_on_login")
        user_logged_out.connect(start_over_on_logout, dispatch_uid="pz_start_over_on_logout")
        receivers.connect()
        experiments.connect_signals()
        variants.connect_signals()
