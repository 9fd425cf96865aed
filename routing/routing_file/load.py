"""Writing a checked routing file to the database: create or update by natural key.

Top-level objects missing from the file are left alone; children listed under a parent
(pool members, account domains, rule-set rules) are the whole truth for that parent.
Keys left out of an item mean their default, so an item in the file describes its
object completely.
"""

from __future__ import annotations

from dataclasses import asdict
from itertools import pairwise
from typing import Any

from django.db import transaction

from outgoing.addresses import unresolved_host_warning
from reps.audit import acting_as
from reps.models import Pool, PoolMembership, Rep, User
from reps.services import rep_ensure_login
from routing.models import Rule, RuleSet
from territories.models import AccountDomain, NamedAccount, Territory

from .check import check_against_database, reps_by_email
from .errors import Problems
from .parse import parse_routing
from .spec import AccountSpec, OwnerRef, PoolSpec, RepSpec, RoutingSpec, RuleSetSpec, TerritorySpec
from .writer import Summary, Writer, same


def load_routing(
    text: str,
    *,
    source: str,
    user: User | None = None,
    reason: str | None = None,
    dry_run: bool = False,
) -> Summary:
    """Check the whole file, then apply it in one transaction; RoutingFileError lists
    every problem and nothing is written. History rows are attributed to `user`."""
    problems = Problems()
    spec = parse_routing(text, source=source, problems=problems)
    with transaction.atomic(), acting_as(user):
        check_against_database(spec, problems)
        problems.raise_if_any()
        summary = _Loader(Writer(reason=reason)).load(spec)
        if dry_run:
            transaction.set_rollback(True)
    return summary


class _Loader:
    def __init__(self, writer: Writer) -> None:
        self.writer = writer
        self.reps: dict[str, Rep] = {}
        self.pools: dict[str, Pool] = {}

    def load(self, spec: RoutingSpec) -> Summary:
        self._prefetch(spec)
        for rep in spec.reps:
            self._rep(rep)
        for pool in spec.pools:
            self._pool(pool)
        for territory in spec.territories:
            self._territory(territory)
        for account in spec.accounts:
            self._account(account)
        self._deactivate_others(spec)
        for ruleset in spec.rulesets:
            self._ruleset(ruleset)
        return self.writer.summary

    def _prefetch(self, spec: RoutingSpec) -> None:
        refs = [ref for _, _, ref in spec.references()]
        emails = {rep.email for rep in spec.reps} | {r.key for r in refs if r.kind == "rep"}
        names = {pool.name for pool in spec.pools} | {r.key for r in refs if r.kind == "pool"}
        self.reps = {rep.email.lower(): rep for rep in reps_by_email(emails)}
        self.pools = {pool.name: pool for pool in Pool.objects.filter(name__in=names)}

    def _owner_ids(self, prefix: str, ref: OwnerRef | None) -> dict[str, int | None]:
        rep = self.reps[ref.key] if ref and ref.kind == "rep" else None
        pool = self.pools[ref.key] if ref and ref.kind == "pool" else None
        return {
            f"{prefix}_rep_id": rep.pk if rep else None,
            f"{prefix}_pool_id": pool.pk if pool else None,
        }

    # -- reps and pools --------------------------------------------------------------

    def _rep(self, spec: RepSpec) -> None:
        where = f"rep '{spec.email}'"
        rep = self.reps.get(spec.email) or Rep(email=spec.email)
        creating = rep._state.adding
        values = {
            name: list(value) if isinstance(value, tuple) else value
            for name, value in asdict(spec).items()
        }
        if spec.kind == Rep.Kind.AGENT:
            values["user_id"] = None  # agents never sign in (rep_agent_has_no_login)
        changed = [
            name
            for name, value in values.items()
            if creating or not same(getattr(rep, name), value)
        ]
        for name in changed:
            setattr(rep, name, values[name])
        for name in ("slack_webhook_url", "webhook_url"):
            if name in changed and values[name]:
                warning = unresolved_host_warning(values[name])
                if warning:
                    self.writer.summary.notes.append(f"{where}: {warning}")
        if spec.kind == Rep.Kind.HUMAN and rep.user_id is None:
            had_login = User.objects.filter(email__iexact=spec.email).exists()
            if rep_ensure_login(rep=rep, save=False) is None:
                self.writer.summary.notes.append(
                    f"{where}: left without a login: user {spec.email} is already the login "
                    "of another rep"
                )
            else:
                changed.append("user_id")
                if not had_login:
                    self.writer.summary.tally("logins").created += 1
        self.writer.save(rep, changed, creating=creating, kind="reps", where=where)
        self.reps[spec.email] = rep

    def _pool(self, spec: PoolSpec) -> None:
        where = f"pool '{spec.name}'"
        pool = self.pools.get(spec.name) or Pool(name=spec.name)
        self.writer.sync(
            pool,
            {
                "method": spec.method,
                "max_distance_km": spec.max_distance_km,
                "no_match": spec.no_match,
                "performance_window_days": spec.performance_window_days,
                "respect_working_hours": spec.respect_working_hours,
                "description": spec.description,
            },
            kind="pools",
            where=where,
        )
        self.pools[spec.name] = pool
        current = {m.rep.email.lower(): m for m in pool.memberships.select_related("rep")}
        wanted = {member.email for member in spec.members}
        for email, membership in current.items():
            if email not in wanted:
                self.writer.delete(membership, kind="pool members")
        for member in spec.members:
            membership = current.get(member.email) or PoolMembership(
                pool=pool, rep=self.reps[member.email]
            )
            self.writer.sync(
                membership,
                {"weight": member.weight},
                kind="pool members",
                where=f"{where}: member '{member.email}'",
            )

    # -- territories and accounts ----------------------------------------------------

    def _territory(self, spec: TerritorySpec) -> None:
        territory = Territory.objects.filter(name=spec.name).first() or Territory(name=spec.name)
        values = {
            name: list(value) if isinstance(value, tuple) else value
            for name, value in asdict(spec).items()
            if name not in ("name", "owner")
        }
        values.update(self._owner_ids("owner", spec.owner))
        self.writer.sync(territory, values, kind="territories", where=f"territory '{spec.name}'")

    def _account(self, spec: AccountSpec) -> None:
        where = f"account '{spec.name}'"
        account = NamedAccount.objects.filter(name=spec.name).first() or NamedAccount(
            name=spec.name
        )
        self.writer.sync(
            account,
            {"tier": spec.tier, "owner_id": self.reps[spec.owner_email].pk},
            kind="accounts",
            where=where,
        )
        for stale in account.domains.exclude(domain__in=spec.domains):
            self.writer.delete(stale, kind="account domains")
        for name in spec.domains:
            # Domains are unique across accounts: one listed here may move from another
            # account of this file (check.py refuses those held by accounts outside it).
            domain = AccountDomain.objects.filter(domain=name).first() or AccountDomain(domain=name)
            self.writer.sync(
                domain,
                {"account_id": account.pk},
                kind="account domains",
                where=f"{where}: domain '{name}'",
            )

    # -- rule sets -------------------------------------------------------------------

    def _deactivate_others(self, spec: RoutingSpec) -> None:
        """Make room for the file's active rule set before anything is saved active:
        the database allows one active rule set at any moment (one_active_ruleset)."""
        active = next((ruleset.name for ruleset in spec.rulesets if ruleset.is_active), None)
        if active is None:
            return
        for other in RuleSet.objects.filter(is_active=True).exclude(name=active):
            other.is_active = False
            self.writer.save(
                other,
                ["is_active"],
                creating=False,
                kind="rule sets",
                where=f"rule set '{other.name}'",
            )
            self.writer.summary.notes.append(
                f"rule set '{other.name}' deactivated: '{active}' is now the active rule set"
            )

    def _ruleset(self, spec: RuleSetSpec) -> None:
        where = f"rule set '{spec.name}'"
        # Read after _deactivate_others so that is_active and version are current.
        ruleset = RuleSet.objects.filter(name=spec.name).first() or RuleSet(name=spec.name)
        values: dict[str, Any] = {
            "description": spec.description,
            "is_active": spec.is_active,
            "ack_sla": spec.ack_sla,
            "max_escalations": spec.max_escalations,
            "notify_on_escalation": list(spec.notify_on_escalation),
            "duplicate_window": spec.duplicate_window,
            "reroute_returning": spec.reroute_returning,
            "sticky_owner": spec.sticky_owner,
            "same_company_owner": spec.same_company_owner,
            "remind_before": spec.remind_before,
        }
        values.update(self._owner_ids("fallback", spec.fallback))
        values.update(self._owner_ids("escalate_to", spec.escalate_to))
        self.writer.sync(ruleset, values, kind="rule sets", where=where)

        current = {rule.name: rule for rule in ruleset.rules.all()}
        wanted = {rule.name for rule in spec.rules}
        for name, rule in current.items():
            if name not in wanted:
                self.writer.delete(rule, kind="rules")
        for position, rule_spec in zip(_positions(spec, current), spec.rules, strict=True):
            rule = current.get(rule_spec.name) or Rule(ruleset=ruleset, name=rule_spec.name)
            rule_values: dict[str, Any] = {
                "position": position,
                "is_enabled": rule_spec.is_enabled,
                "conditions": rule_spec.conditions,
                "route_to": rule_spec.route_to,
                "ack_sla": rule_spec.ack_sla,
                "sla_in_working_hours": rule_spec.sla_in_working_hours,
                "ignore_capacity": rule_spec.ignore_capacity,
            }
            rule_values.update(self._owner_ids("route", rule_spec.route))
            rule_values.update(self._owner_ids("escalate_to", rule_spec.escalate_to))
            rule_values.update(self._owner_ids("handoff_to", rule_spec.handoff_to))
            self.writer.sync(
                rule, rule_values, kind="rules", where=f"{where}, rule '{rule_spec.name}'"
            )


def _positions(spec: RuleSetSpec, current: dict[str, Rule]) -> list[int]:
    """File order as positions 0, 1, 2...; except when the file has exactly the stored
    rules and their stored positions already run in file order (say 10, 20, 30 from the
    admin): those are kept, so that loading a dump of the database changes nothing."""
    stored = [current[rule.name].position for rule in spec.rules if rule.name in current]
    same_rules = len(stored) == len(spec.rules) == len(current)
    if same_rules and all(a < b for a, b in pairwise(stored)):
        return stored
    return list(range(len(spec.rules)))
