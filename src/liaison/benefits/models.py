"""The benefit register: DWP awards by NINO, our stand-in for CIS (DOMAIN D1)."""

from __future__ import annotations

from django.db import models


class Benefit(models.Model):
    """A social security benefit. `prescribed` marks those HB debt can be recovered from (SLA Appendix 4)."""

    code = models.CharField(max_length=8, primary_key=True)
    name = models.CharField(max_length=100)
    prescribed = models.BooleanField(default=False)
    minimum_remaining_pence = models.PositiveIntegerField(
        default=10, help_text="A deduction never leaves the week's award below this, in pence (SI 2013/384 reg 14: "
                              "10p for State Pension Credit; the same floor is used for every prescribed benefit).")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Award(models.Model):
    nino = models.CharField(max_length=9, db_index=True)
    benefit = models.ForeignKey(Benefit, on_delete=models.PROTECT, related_name="awards")
    weekly_amount_pence = models.PositiveIntegerField(help_text="The weekly award, in pence.")
    start = models.DateField()
    end = models.DateField(null=True, blank=True, help_text="Blank while the award is current.")
    source = models.CharField(max_length=100, blank=True, help_text="The file or system the award came from.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["nino", "-start"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__isnull=True) | models.Q(end__gte=models.F("start")),
                                   name="award_end_not_before_start"),
            models.UniqueConstraint(fields=["nino", "benefit", "start"], name="award_unique_start"),
        ]

    def __str__(self) -> str:
        return f"{self.nino} {self.benefit_id} from {self.start}"

    def is_current(self, on) -> bool:
        return self.start <= on and (self.end is None or self.end >= on)
