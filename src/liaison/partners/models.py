"""The parties to the agreement (Local Authorities, DM's units, governments) and the people who act for them."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models


class Nation(models.TextChoices):
    ENGLAND = "ENG", "England"
    WALES = "WLS", "Wales"
    SCOTLAND = "SCT", "Scotland"
    NORTHERN_IRELAND = "NIR", "Northern Ireland"


class Organisation(models.Model):
    class Kind(models.TextChoices):
        LOCAL_AUTHORITY = "LA", "Local Authority"
        DM_UNIT = "DM", "DWP Debt Management unit"
        GOVERNMENT = "GOV", "Government"

    class Unit(models.TextChoices):
        CC_PORTH = "CC_PORTH", "Contact Centre Porth (referral intake)"
        CCG_SITE = "CCG_SITE", "Contact Centre Group site"
        FCG = "FCG", "Finance Control Group"
        DM_HQ = "DM_HQ", "Debt Management headquarters"

    code = models.CharField(max_length=16, unique=True, help_text="Official code: the ONS GSS code for an LA.")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=3, choices=Kind.choices)
    unit = models.CharField(max_length=16, choices=Unit.choices, blank=True)
    nation = models.CharField(max_length=3, choices=Nation.choices)
    region = models.CharField(max_length=64, blank=True)
    address_lines = models.JSONField(default=list, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    intake_email = models.EmailField(blank=True, help_text="Where notices for this organisation are e-mailed.")
    ccg_site = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 help_text="For an LA: the CCG site named on its notices of recovery.",
                                 limit_choices_to={"unit": "CCG_SITE"})
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["kind", "name"], name="org_kind_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_la(self) -> bool:
        return self.kind == self.Kind.LOCAL_AUTHORITY


class Mailbox(models.Model):
    """A DM intake mailbox: CC Porth keeps one per nation for referrals (SLA Appendix 8)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="mailboxes")
    nation = models.CharField(max_length=3, choices=Nation.choices, blank=True)
    purpose = models.CharField(max_length=64)
    email = models.EmailField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "nation", "purpose"], name="mailbox_unique")]

    def __str__(self) -> str:
        return f"{self.organisation} {self.purpose} ({self.get_nation_display() or 'all'})"


class Role(models.TextChoices):
    LA_OFFICER = "LA_OFFICER", "LA overpayment officer"
    LA_MANAGER = "LA_MANAGER", "LA manager"
    PORTH_OFFICER = "PORTH_OFFICER", "CC Porth referral officer"
    CCG_AGENT = "CCG_AGENT", "CCG contact agent"
    FCG_FINANCE = "FCG_FINANCE", "FCG finance officer"
    SLA_LIAISON = "SLA_LIAISON", "SLA liaison officer"
    ADMIN = "ADMIN", "Administrator"


LA_ROLES = frozenset({Role.LA_OFFICER, Role.LA_MANAGER})
DM_ROLES = frozenset({Role.PORTH_OFFICER, Role.CCG_AGENT, Role.FCG_FINANCE, Role.SLA_LIAISON, Role.ADMIN})


class User(AbstractUser):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="people")
    role = models.CharField(max_length=16, choices=Role.choices, blank=True)

    @property
    def is_la_user(self) -> bool:
        return self.role in LA_ROLES

    @property
    def is_dm_user(self) -> bool:
        return self.role in DM_ROLES or self.is_superuser

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class ApiToken(models.Model):
    """A bearer token for an LA's own system. Only a hash is kept; the token is shown once, when made."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=8, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, *, user: User, name: str) -> tuple[ApiToken, str]:
        token = "lia_" + secrets.token_urlsafe(32)
        obj = cls.objects.create(user=user, name=name, prefix=token[4:12], digest=cls.hash(token))
        return obj, token
