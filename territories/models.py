"""Territories (who owns which part of the map) and named accounts (who owns which company)."""

from __future__ import annotations

from typing import Any

import pycountry
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from reps.audit import audited_history
from reps.fields import ListField
from reps.models import Pool, Rep, owner_constraint

from .names import is_domain, normalize_company_name, normalize_domain
from .validators import validate_postal_matchers


def validate_country_codes(values: list[str]) -> None:
    unknown = [code for code in values if pycountry.countries.get(alpha_2=code.upper()) is None]
    if unknown:
        raise ValidationError(
            f"Not ISO 3166-1 alpha-2 country codes: {', '.join(unknown)} (e.g. US, DE, GB)."
        )


class Territory(models.Model):
    """A slice of the market. Every matcher that is filled in must hold; blank ones match all."""

    name = models.CharField(max_length=100, unique=True)
    priority = models.PositiveIntegerField(
        default=100,
        help_text="When several territories match a lead, the lowest number wins; "
        "equal numbers go to the most specific match (postal code, then state, then country).",
    )
    countries = ListField(
        validators=[validate_country_codes],
        help_text="ISO country codes, comma-separated (US, CA). Blank: any country.",
    )
    states = ListField(help_text="States or regions, comma-separated (CA, OR, WA).")
    postal_codes = ListField(
        validators=[validate_postal_matchers],
        help_text="Postal-code prefixes (112) and prefix ranges (100-104), comma-separated.",
    )
    industries = ListField(help_text="Industries, comma-separated. Blank: any industry.")
    employee_count_min = models.PositiveIntegerField(
        null=True, blank=True, verbose_name="employees from", help_text="Inclusive."
    )
    employee_count_max = models.PositiveIntegerField(
        null=True, blank=True, verbose_name="employees up to", help_text="Inclusive."
    )
    owner_rep = models.ForeignKey(
        Rep, null=True, blank=True, on_delete=models.PROTECT, related_name="territories"
    )
    owner_pool = models.ForeignKey(
        Pool, null=True, blank=True, on_delete=models.PROTECT, related_name="territories"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = audited_history(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["priority", "name"]
        verbose_name_plural = "territories"
        constraints = [
            owner_constraint("owner", required=True),
            models.CheckConstraint(
                condition=Q(employee_count_min__isnull=True)
                | Q(employee_count_max__isnull=True)
                | Q(employee_count_max__gte=F("employee_count_min")),
                name="territory_employee_band_ordered",
                violation_error_message="'Employees up to' must not be below 'employees from'.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        self.countries = [code.upper() for code in self.countries]
        self.states = [state.upper() for state in self.states]
        self.postal_codes = [code.upper() for code in self.postal_codes]
        if not any(
            [
                self.countries,
                self.states,
                self.postal_codes,
                self.industries,
                self.employee_count_min is not None,
                self.employee_count_max is not None,
            ]
        ):
            raise ValidationError("Give the territory at least one matcher.")


class NamedAccount(models.Model):
    """A company with a named owner: its leads go to that owner when a rule says so."""

    name = models.CharField(max_length=200, unique=True)
    normalized_name = models.CharField(max_length=200, db_index=True, editable=False)
    tier = models.CharField(max_length=50, blank=True, help_text="e.g. strategic, enterprise.")
    owner = models.ForeignKey(Rep, on_delete=models.PROTECT, related_name="named_accounts")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = audited_history(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.normalized_name = normalize_company_name(self.name)
        super().save(*args, **kwargs)


def validate_domain(value: str) -> None:
    if not is_domain(value):
        raise ValidationError(f"'{value}' is not a domain name like acme.com.")


class DomainFormField(forms.CharField):
    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        return normalize_domain(text) or text.strip()


class DomainField(models.CharField):
    """A bare lower-case domain; a pasted URL or e-mail address is reduced to its host.

    Normalizing in `to_python` (before validators and the uniqueness check) means they
    see 'acme.com', not 'https://www.Acme.com/', wherever the value comes from.
    """

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        return (normalize_domain(text) or text.strip()) if text else text

    def formfield(self, **kwargs: Any) -> forms.Field:
        return super().formfield(**{"form_class": DomainFormField, **kwargs})


class AccountDomain(models.Model):
    """A domain of a named account; it belongs to one account only."""

    account = models.ForeignKey(NamedAccount, on_delete=models.CASCADE, related_name="domains")
    domain = DomainField(
        max_length=253,
        unique=True,
        validators=[validate_domain],
        help_text="e.g. acme.com (a pasted URL or e-mail address is fine); subdomains match too.",
    )

    history = audited_history()

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.CheckConstraint(
                condition=Q(domain=Lower("domain")),
                name="account_domain_lower_case",
                violation_error_message="Domains are stored in lower case.",
            ),
        ]

    def __str__(self) -> str:
        return self.domain
