"""Co-purchase counts ("frequently bought together"), rebuilt from the shop's orders."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProductAffinity(models.Model):
    """``count`` orders contained both ``product_id`` and ``other_id`` (shop product ids).

    Rebuilt as a whole by ``personalization.jobs.affinities.rebuild_product_affinities``.
    """

    product_id = models.BigIntegerField(_("product id"))
    other_id = models.BigIntegerField(_("bought with product id"))
    count = models.PositiveIntegerField(_("orders with both"))

    class Meta:
        verbose_name = _("product affinity")
        verbose_name_plural = _("product affinities")
        constraints = [
            models.UniqueConstraint(fields=["product_id", "other_id"],
                                    name="pz_affinity_pair_unique"),
        ]
        indexes = [models.Index(fields=["product_id", "-count"], name="pz_affinity_top")]

    def __str__(self) -> str:
        return f"{self.product_id} + {self.other_id}: {self.count}"
