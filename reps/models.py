"""Reps (people and AI agents), the users they sign in as, and the pools they work in."""

from __future__ import annotations

import zoneinfo
from typing import Any

from axes.models import AccessAttempt
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from outgoing.addresses import validate_outgoing_url
from outgoing.secrets import new_webhook_secret

from .audit import audited_history
from .fields import ListField
from .working_hours import validate_working_hours


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("A user needs an e-mail address; it is the login.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who signs in: managers in the admin, reps in the queue. E-mail is the login."""

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(
        default=False, help_text="Can sign in to the admin (sales managers, RevOps)."
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.email.strip().lower()

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name or self.email


def validate_timezone(name: str) -> None:
    if name not in zoneinfo.available_timezones():
        raise ValidationError(
            f"'{name}' is not a time zone name; use an IANA name such as America/New_York."
        )


def unacknowledged_limit_unreachable(
    *, max_unacknowledged: int | None, max_open: int | None
) -> bool:
    """Unacknowledged leads are open leads too: a rep stopped at `max_open` open leads
    never reaches a larger `max_unacknowledged`, which then only misleads."""
    return max_unacknowledged is not None and max_open is not None and max_unacknowledged > max_open


def cover_refused_because(*, rep: Rep, cover: Rep) -> str | None:
    """Why `cover` may not take `rep`'s account leads while they are away, or None.
    A cover answers a customer in person: an AI agent cannot stand in for a rep."""
    if cover.pk is not None and cover.pk == rep.pk:
        return "A rep cannot cover for themselves; choose a colleague or nobody."
    if cover.kind != Rep.Kind.HUMAN:
        return f"{cover.name} is an AI agent; a cover must be a person."
    if not cover.is_active:
        return f"{cover.name} is inactive and receives no leads; choose an active rep."
    return None


def owner_constraint(prefix: str, *, required: bool) -> models.CheckConstraint:
    """`<prefix>_rep` and `<prefix>_pool`: exactly one set (required) or at most one."""
    rep_set = Q(**{f"{prefix}_rep__isnull": False})
    pool_set = Q(**{f"{prefix}_pool__isnull": False})
    only_rep = rep_set & ~pool_set
    only_pool = pool_set & ~rep_set
    condition = only_rep | only_pool
    if not required:
        condition |= ~rep_set & ~pool_set
    return models.CheckConstraint(
        condition=condition,
        name=f"%(app_label)s_%(class)s_{prefix}_{'one' if required else 'at_most_one'}_owner",
        violation_error_message=(
            f"Choose {'either' if required else 'at most one of'} a rep or a pool "
            f"for {prefix.replace('_', ' ')}{'' if required else ', not both'}."
        ),
    )


class Rep(models.Model):
    """Someone leads are routed to: a person who signs in, or an AI agent reached by webhook."""

    class Kind(models.TextChoices):
        HUMAN = "human", "Person"
        AGENT = "agent", "AI agent"

    email = models.EmailField(
        unique=True, help_text="Identifies the rep; a person signs in with it."
    )
    name = models.CharField(max_length=150)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.HUMAN)
    user = models.OneToOneField(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rep",
        help_text="The login of a person; AI agents have none.",
    )
    is_active = models.BooleanField(default=True, help_text="Inactive reps receive no leads.")
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    working_hours = models.CharField(
        max_length=200,
        blank=True,
        validators=[validate_working_hours],
        help_text="In the rep's time zone, e.g. 'mon-fri 09:00-17:00; sat 10:00-13:00'. "
        "Blank: any time. Pools that respect working hours skip the rep outside them.",
    )
    out_of_office_from = models.DateTimeField(null=True, blank=True)
    out_of_office_until = models.DateTimeField(null=True, blank=True)
    cover_rep = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="covering_for",
        verbose_name="cover",
        help_text="A person who takes the rep's named-account leads while they are out of "
        "office. Blank: those leads go to the next rule.",
    )
    paused_at = models.DateTimeField(
        null=True,
        blank=True,
        verbose_name="new leads paused since",
        help_text="Set: the rep receives no new leads until it is cleared; their leads stay "
        "theirs. Reps pause and resume in their queue.",
    )
    max_unacknowledged = models.PositiveIntegerField(
        null=True,
        blank=True,
        verbose_name="max unacknowledged leads",
        help_text="Most leads waiting for the rep's acknowledgment at once. Blank: no limit.",
    )
    max_open = models.PositiveIntegerField(
        null=True,
        blank=True,
        verbose_name="max open leads",
        help_text="Most leads the rep owns at once without a final outcome (converted or "
        "disqualified), acknowledged or not. Blank: no limit.",
    )
    max_per_day = models.PositiveIntegerField(
        null=True,
        blank=True,
        verbose_name="max new leads per day",
        help_text="Most new leads per day in the rep's time zone. Blank: no limit.",
    )
    postal_code = models.CharField(max_length=20, blank=True)
    latitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    products = ListField(help_text="Products the rep sells, comma-separated.")
    industries = ListField(help_text="Industries the rep knows, comma-separated.")
    languages = ListField(help_text="Languages the rep speaks (e.g. en, es), comma-separated.")
    technologies = ListField(
        help_text="Technologies the rep knows (e.g. Salesforce, Shopify), comma-separated."
    )
    expertise = models.TextField(
        blank=True,
        help_text="What the rep is good at, in a few sentences. Best-match pools compare it "
        "in meaning with the lead's message when semantic matching is installed.",
    )
    notify_email = models.BooleanField(default=True, verbose_name="notify by e-mail")
    slack_webhook_url = models.URLField(
        blank=True,
        validators=[validate_outgoing_url],
        verbose_name="Slack webhook URL",
        help_text="A Slack incoming-webhook URL.",
    )
    webhook_url = models.URLField(
        blank=True,
        validators=[validate_outgoing_url],
        verbose_name="webhook URL",
        help_text="Leads are posted here as signed JSON; the usual channel for AI agents. "
        "An AI agent's 2xx answer acknowledges the lead.",
    )
    webhook_secret = models.CharField(
        max_length=100,
        default=new_webhook_secret,
        help_text="Signs what is posted to the webhook URL (Standard Webhooks); "
        "the receiver verifies with it. Shown once, when created or rotated.",
    )
    webhook_secret_rotated_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        verbose_name="webhook secret rotated at",
        help_text="Empty: the secret is the one made with the rep.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = audited_history(excluded_fields=["updated_at", "webhook_secret"])

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(out_of_office_from__isnull=True)
                | Q(out_of_office_until__isnull=True)
                | Q(out_of_office_until__gt=models.F("out_of_office_from")),
                name="rep_out_of_office_ends_after_start",
                violation_error_message="Out of office must end after it starts.",
            ),
            models.CheckConstraint(
                condition=Q(cover_rep__isnull=True) | ~Q(cover_rep=models.F("id")),
                name="rep_does_not_cover_themselves",
                violation_error_message="A rep cannot cover for themselves; choose someone else.",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="rep_latitude_longitude_together",
                violation_error_message="Give both latitude and longitude, or neither.",
            ),
            models.CheckConstraint(
                condition=Q(kind="human") | Q(user__isnull=True),
                name="rep_agent_has_no_login",
                violation_error_message="An AI agent cannot have a login.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    def clean(self) -> None:
        super().clean()
        self.email = self.email.strip().lower()
        if self.kind == self.Kind.AGENT and not self.webhook_url:
            raise ValidationError(
                {"webhook_url": "An AI agent receives its leads by webhook; give its URL."}
            )
        if self.cover_rep is not None:
            refusal = cover_refused_because(rep=self, cover=self.cover_rep)
            if refusal is not None:
                raise ValidationError({"cover_rep": refusal})
        if unacknowledged_limit_unreachable(
            max_unacknowledged=self.max_unacknowledged, max_open=self.max_open
        ):
            raise ValidationError(
                {
                    "max_unacknowledged": f"More than the {self.max_open} max open leads, so "
                    "never reached: unacknowledged leads are open leads too. Lower it or "
                    "leave it blank."
                }
            )


class Pool(models.Model):
    """A group of reps that share leads by one distribution method."""

    class Method(models.TextChoices):
        ROUND_ROBIN = "round_robin", "Round robin (strict rotation)"
        WEIGHTED = "weighted", "Weighted rotation"
        LEAST_LOADED = "least_loaded", "Least loaded (fewest open leads)"
        NEAREST = "nearest", "Nearest (closest rep to the lead)"
        PERFORMANCE = "performance", "Performance (weighted by conversion rate)"
        BEST_MATCH = "best_match", "Best match (skills against the lead's needs)"

    class NoMatch(models.TextChoices):
        ROTATION = "rotation", "Take turns among everyone"
        FALL_THROUGH = "fall_through", "Fall through to the next rule"

    # The settings only some methods read: the pool form shows them for those methods
    # alone, and puts them back to their defaults for any other.
    METHOD_SETTINGS = {
        "max_distance_km": (Method.NEAREST,),
        "no_match": (Method.BEST_MATCH,),
        "performance_window_days": (Method.PERFORMANCE,),
    }
    # Members' weights count in weighted pools only; other methods keep but ignore them.
    MEMBER_SETTINGS = {"weight": (Method.WEIGHTED,)}

    name = models.CharField(max_length=100, unique=True)
    method = models.CharField(max_length=20, choices=Method.choices, default=Method.ROUND_ROBIN)
    respect_working_hours = models.BooleanField(
        default=False, help_text="Skip members outside their working hours."
    )
    max_distance_km = models.PositiveIntegerField(
        null=True,
        blank=True,
        verbose_name="max distance (km)",
        help_text="Nearest pools: nobody farther than this gets the lead, and the rule falls "
        "through to the next. Blank: no limit.",
    )
    no_match = models.CharField(
        max_length=20,
        choices=NoMatch.choices,
        default=NoMatch.ROTATION,
        verbose_name="when nobody matches",
        help_text="Best-match pools: what happens when no member has any skill the lead needs.",
    )
    performance_window_days = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(1)],
        verbose_name="performance window (days)",
        help_text="Performance pools: conversion rates over this many past days.",
    )
    description = models.TextField(blank=True)
    members = models.ManyToManyField(Rep, through="PoolMembership", related_name="pools")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = audited_history(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PoolMembership(models.Model):
    pool = models.ForeignKey(Pool, on_delete=models.CASCADE, related_name="memberships")
    rep = models.ForeignKey(Rep, on_delete=models.CASCADE, related_name="memberships")
    weight = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1)],
        help_text="Share of leads relative to other members (weighted pools).",
    )

    history = audited_history()

    class Meta:
        ordering = ["pool", "id"]
        constraints = [
            models.UniqueConstraint(fields=["pool", "rep"], name="pool_member_once"),
            models.CheckConstraint(condition=Q(weight__gte=1), name="pool_member_weight_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.rep.name} in {self.pool.name}"


class FailedSignIn(AccessAttempt):
    """Wrong passwords for one account from one address, as django-axes counts them
    (reps.lockouts); at the limit, a lockout. Deleting the row unlocks the pair."""

    class Meta:
        proxy = True
        verbose_name = "failed sign-in"
