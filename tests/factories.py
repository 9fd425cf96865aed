"""Factories for the routing data; each builds a valid object with the fewest arguments."""

from __future__ import annotations

import factory

from reps.models import Pool, PoolMembership, Rep, User
from routing.models import Assignment, Lead, Rule, RuleSet
from territories.models import AccountDomain, NamedAccount, Territory


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Faker("name")
    password = factory.django.Password("pass-word-123")


class StaffUserFactory(UserFactory):
    is_staff = True
    is_superuser = True


class RepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rep
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"rep{n}@example.com")
    name = factory.Sequence(lambda n: f"Rep {n}")


class AgentFactory(RepFactory):
    kind = Rep.Kind.AGENT
    webhook_url = "https://agent.example.com/leads"


class PoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pool
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Pool {n}")


class PoolMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PoolMembership

    pool = factory.SubFactory(PoolFactory)
    rep = factory.SubFactory(RepFactory)


class TerritoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Territory

    name = factory.Sequence(lambda n: f"Territory {n}")
    countries = factory.LazyFunction(lambda: ["US"])
    owner_rep = factory.SubFactory(RepFactory)


class NamedAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NamedAccount

    name = factory.Sequence(lambda n: f"Account {n} Inc.")
    owner = factory.SubFactory(RepFactory)


class AccountDomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountDomain

    account = factory.SubFactory(NamedAccountFactory)
    domain = factory.Sequence(lambda n: f"account{n}.com")


class RuleSetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RuleSet

    name = factory.Sequence(lambda n: f"Rule set {n}")
    fallback_rep = factory.SubFactory(RepFactory)


class RuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rule

    ruleset = factory.SubFactory(RuleSetFactory)
    name = factory.Sequence(lambda n: f"Rule {n}")
    position = factory.Sequence(lambda n: n)
    conditions = factory.LazyFunction(lambda: {"source": "demo_request"})
    route_to = Rule.RouteTo.REP
    route_rep = factory.SubFactory(RepFactory)


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    email = factory.Sequence(lambda n: f"lead{n}@prospect.com")
    email_domain = "prospect.com"
    first_name = "Pat"
    last_name = "Prospect"
    payload = factory.LazyAttribute(lambda lead: {"email": lead.email})


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    lead = factory.SubFactory(LeadFactory)
    rep = factory.SubFactory(RepFactory)
