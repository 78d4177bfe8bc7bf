"""The data version of each layer's tiles: bumped on every asset write, part of each ETag."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class LayerDataVersion(models.Model):
    """How many times a layer's records (or the records its tiles show) have changed.

    A row per layer slug, created on the first change; a layer without one is at version 0.
    Stored in the database, not in a process, so every web worker and every proxy in
    front of them agree on which tiles are current.
    """

    slug = models.CharField(_("layer"), max_length=100, primary_key=True)
    version = models.BigIntegerField(_("version"), default=0)
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("layer data version")
        verbose_name_plural = _("layer data versions")

    def __str__(self):
        return f"{self.slug} v{self.version}"
