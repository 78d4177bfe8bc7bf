"""The district's plan as data: targets measured from assets or reported by staff."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from geo_cm.models import Subdistrict

# The years a plan can be for; the URLs accept only these (anything else is a 404).
PLAN_YEAR_MIN, PLAN_YEAR_MAX = 2000, 2100


def milestones_parse(milestones) -> dict[int, float]:
    """Milestones as {month 1..12: cumulative value}, in month order. Raises ValueError
    (with a translatable sentence) unless the keys are "1".."12" and the values are
    non-negative numbers that never decrease."""
    if not milestones:
        return {}
    if not isinstance(milestones, dict):
        raise ValueError(_('Milestones must map months to values, e.g. {"6": 500, "12": 1000}.'))
    parsed = {}
    for month, value in milestones.items():
        if month not in {str(m) for m in range(1, 13)}:
            raise ValueError(_("Milestone months must be 1 to 12."))
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValueError(_("Milestone values must be numbers of 0 or more."))
        parsed[int(month)] = float(value)
    parsed = dict(sorted(parsed.items()))
    values = list(parsed.values())
    if any(b < a for a, b in zip(values, values[1:], strict=False)):
        raise ValueError(_("Milestone values are cumulative: they may not decrease."))
    return parsed


class Plan(models.Model):
    title = models.CharField(_("title"), max_length=300)
    issuing_body = models.CharField(_("issuing body"), max_length=200)
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(PLAN_YEAR_MIN), MaxValueValidator(PLAN_YEAR_MAX)]
    )
    document_ref = models.CharField(_("document reference"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["-year", "title"]
        # One plan a year: the URLs, the dashboard and load_plan_2023 find a plan by year.
        constraints = [models.UniqueConstraint(fields=["year"], name="plans_plan_one_per_year")]

    def __str__(self):
        return f"{self.year} {self.title}"


class Target(models.Model):
    """A numeric target. Asset targets name a metric; reported ones take staff readings."""

    class Comparator(models.TextChoices):
        AT_LEAST = ">=", _("at least")
        AT_MOST = "<=", _("at most")

    class Kind(models.TextChoices):
        METRIC = "metric", _("measured from assets")
        REPORTED = "reported", _("reported indicator")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="targets")
    code = models.CharField(_("code"), max_length=40)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    section = models.CharField(_("section of the plan"), max_length=100, blank=True)
    unit = models.CharField(_("unit"), max_length=20)
    target_value = models.DecimalField(_("target"), max_digits=12, decimal_places=3)
    comparator = models.CharField(
        _("comparator"), max_length=2, choices=Comparator.choices, default=Comparator.AT_LEAST
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    metric_key = models.CharField(_("metric"), max_length=100, blank=True)
    subdistrict = models.ForeignKey(
        Subdistrict, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("subdistrict")
    )
    # Optional cumulative milestones: {"6": 500, "12": 1000} (month -> value by its end).
    milestones = models.JSONField(_("monthly milestones"), default=dict, blank=True)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["plan", "code"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="plans_target_code_unique")
        ]

    def __str__(self):
        return f"{self.code} {self.title_zh}"

    def clean(self):
        try:
            parsed = milestones_parse(self.milestones)
        except ValueError as error:
            raise ValidationError({"milestones": str(error)}) from error
        over = self.target_value is not None and self.comparator == self.Comparator.AT_LEAST
        if over and parsed and max(parsed.values()) > float(self.target_value):
            raise ValidationError({"milestones": _("Milestones may not exceed the target.")})


class ReportedValue(models.Model):
    """A measured value of a reported indicator (e.g. 机扫率 98.5 % on a date)."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="readings")
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=3)
    measured_on = models.DateField(_("measured on"))
    scope = models.CharField(_("scope"), max_length=200, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("reported by"),
    )
    evidence = models.TextField(_("evidence"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reported value")
        verbose_name_plural = _("reported values")
        ordering = ["-measured_on", "-pk"]

    def __str__(self):
        return f"{self.target.code} {self.value} ({self.measured_on})"


class PlanChange(models.Model):
    """One edit of a plan or of one of its targets, kept for good ("every change is kept").

    ``changes`` maps field name -> [before, after] (JSON values; None for a created or
    deleted side). Rows outlive the plan they describe: ``plan_label`` keeps its name.
    """

    class Action(models.TextChoices):
        CREATED = "created", _("created")
        CHANGED = "changed", _("changed")
        DELETED = "deleted", _("deleted")

    plan = models.ForeignKey(
        Plan,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="changes",
        verbose_name=_("plan"),
    )
    plan_label = models.CharField(_("plan"), max_length=320)
    # Empty when the plan itself (title, year, issuer) was edited.
    target_code = models.CharField(_("target code"), max_length=40, blank=True)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("user"),
    )
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    # What made a change with no user, e.g. "load_plan_2023".
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("plan change")
        verbose_name_plural = _("plan history")
        ordering = ["-at", "-pk"]

    def __str__(self):
        what = self.target_code or self.plan_label
        return f"{what} {self.get_action_display()} ({self.at:%Y-%m-%d %H:%M})"
