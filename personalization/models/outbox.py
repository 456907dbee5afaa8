"""The transactional outbox: work for a worker, written in the transaction that asks for it."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """A call of a plain function (``function``, a dotted path, with ``kwargs``) that a
    worker must make once the transaction that wrote this row has committed.

    The row is written with the change that asks for it (an order's conversion with the
    order), so the work is never lost when the broker cannot be reached: publishing happens
    after commit and may fail; the relay (beat, every minute, and at worker start) publishes
    again what is not done. The function must be idempotent: a message may run twice (a
    broker that lost an acknowledgement); ``personalization.jobs.outbox`` explains.
    """

    function = models.CharField(_("function"), max_length=200)
    kwargs = models.JSONField(_("arguments"), default=dict)
    available_at = models.DateTimeField(_("not before"), default=timezone.now)
    published_at = models.DateTimeField(_("last handed to the broker"), null=True,
                                        blank=True)
    publish_count = models.PositiveSmallIntegerField(_("times handed to the broker"),
                                                     default=0)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["available_at"], condition=models.Q(done_at=None),
                                name="pz_outbox_pending")]

    def __str__(self) -> str:
        return f"{self.function} #{self.pk}"
