"""Helpers for the routing-file commands: write a file, load it, count what is stored."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from reps.models import Pool, PoolMembership, Rep, User
from routing.models import Rule, RuleSet
from territories.models import AccountDomain, NamedAccount, Territory

AUDITED = (Rep, Pool, PoolMembership, Territory, NamedAccount, AccountDomain, RuleSet, Rule)
REPO = Path(__file__).resolve().parents[2]
DEMO_FILE = REPO / "demo" / "routing.yaml"


def history_counts() -> dict[str, int]:
    return {model.__name__: model.history.count() for model in AUDITED}


def stored_state() -> dict[str, object]:
    """Row counts of every routing model and its history, and the rule-set versions."""
    return {
        **{model.__name__: model.objects.count() for model in (*AUDITED, User)},
        **{f"history {name}": count for name, count in history_counts().items()},
        "versions": dict(RuleSet.objects.values_list("name", "version")),
    }


def dump() -> str:
    out = StringIO()
    call_command("dump_routing", stdout=out)
    return out.getvalue()


@pytest.fixture
def routing_file(tmp_path: Path) -> Callable[[str], Path]:
    """Write dedented YAML to a file and return its path."""
    counter = iter(range(1_000_000))

    def write(text: str) -> Path:
        path = tmp_path / f"routing-{next(counter)}.yaml"
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture
def load() -> Callable[..., str]:
    """Run load_routing on a path (with options) and return what it printed."""

    def run(path: Path | str, **options: object) -> str:
        out = StringIO()
        call_command("load_routing", str(path), stdout=out, **options)
        return out.getvalue()

    return run
