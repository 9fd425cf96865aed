"""Reps and pools of a routing file: from YAML mappings to RepSpec and PoolSpec."""

from __future__ import annotations

import functools
import zoneinfo
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from reps.models import Pool, Rep, unacknowledged_limit_unreachable, validate_timezone
from reps.working_hours import validate_working_hours

from .errors import Problems
from .fields import Item, check_name, natural_name, show
from .spec import MemberSpec, PoolSpec, RepSpec

REP_KEYS = (
    "email",
    "name",
    "kind",
    "active",
    "timezone",
    "working_hours",
    "out_of_office",
    "capacity",
    "location",
    "skills",
    "notify",
)
POOL_KEYS = (
    "name",
    "method",
    "max_distance_km",
    "no_match",
    "performance_window",
    "respect_working_hours",
    "description",
    "members",
)


@functools.cache
def _time_zones() -> frozenset[str]:
    # Listing the zones reads the whole tz database; once per process is plenty.
    return frozenset(zoneinfo.available_timezones())


def _field_length(model: Any, name: str) -> int:
    return model._meta.get_field(name).max_length


def natural_email(data: Any) -> str:
    value = data.get("email") if isinstance(data, dict) else None
    return value.strip().lower() if isinstance(value, str) else ""


def parse_rep(problems: Problems, data: Any, index: int) -> RepSpec | None:
    email = natural_email(data)
    rep = Item(problems, f"rep '{email}'" if email else f"rep #{index}", data, REP_KEYS)
    if not email:
        rep.error("email is required; it is how the rep is known")
    else:
        try:
            validate_email(email)
        except ValidationError:
            rep.error(f"email '{email}' is not an e-mail address")
    name = rep.text("name", max_length=_field_length(Rep, "name"))
    if not name:
        rep.error("name is required")
    kind = rep.text("kind", default=Rep.Kind.HUMAN)
    if kind not in Rep.Kind.values:
        rep.error(f"kind must be {' or '.join(Rep.Kind.values)}, not '{kind}'")
        kind = Rep.Kind.HUMAN
    tz = rep.text("timezone", default="UTC", max_length=_field_length(Rep, "timezone"))
    if tz not in _time_zones() and not rep.checked("timezone", tz, validate_timezone):
        tz = "UTC"
    working_hours = rep.text("working_hours", max_length=_field_length(Rep, "working_hours"))
    rep.checked("working_hours", working_hours, validate_working_hours)

    away = rep.mapping("out_of_office", ("from", "until"))
    away_from = _moment(away, "from", tz)
    away_until = _moment(away, "until", tz)
    if away_from and away_until and away_until <= away_from:
        rep.error("out_of_office.until must be after out_of_office.from")

    capacity = rep.mapping("capacity", ("max_open", "max_unacknowledged", "max_per_day"))
    max_open = capacity.integer("max_open")
    max_unacknowledged = capacity.integer("max_unacknowledged")
    if unacknowledged_limit_unreachable(max_unacknowledged=max_unacknowledged, max_open=max_open):
        rep.error(
            f"capacity.max_unacknowledged ({max_unacknowledged}) is more than "
            f"capacity.max_open ({max_open}) and could never be reached: unacknowledged "
            "leads are open leads too; lower it or leave it out"
        )
    location = rep.mapping("location", ("postal_code", "latitude", "longitude"))
    latitude = location.number("latitude", minimum=-90, maximum=90)
    longitude = location.number("longitude", minimum=-180, maximum=180)
    if location.has("latitude") != location.has("longitude"):
        rep.error("location needs both latitude and longitude, or neither")
    skills = rep.mapping(
        "skills", ("products", "industries", "languages", "technologies", "expertise")
    )
    notify = rep.mapping("notify", ("email", "slack_webhook", "webhook"))
    spec = RepSpec(
        email=email,
        name=name,
        kind=kind,
        is_active=rep.flag("active", default=True),
        timezone=tz,
        working_hours=working_hours,
        out_of_office_from=away_from,
        out_of_office_until=away_until,
        max_unacknowledged=max_unacknowledged,
        max_open=max_open,
        max_per_day=capacity.integer("max_per_day"),
        postal_code=location.text("postal_code", max_length=_field_length(Rep, "postal_code")),
        latitude=latitude,
        longitude=longitude,
        products=skills.text_list("products"),
        industries=skills.text_list("industries"),
        languages=skills.text_list("languages"),
        technologies=skills.text_list("technologies"),
        expertise=skills.text("expertise"),
        notify_email=notify.flag("email", default=True),
        slack_webhook_url=notify.url("slack_webhook"),
        webhook_url=notify.url("webhook"),
    )
    if spec.kind == Rep.Kind.AGENT and not spec.webhook_url and not notify.has("webhook"):
        rep.error("an AI agent receives its leads by webhook; add notify: {webhook: https://...}")
    return spec if email else None


def _moment(item: Item, key: str, tz: str) -> datetime | None:
    """An ISO date and time; without an offset it is the rep's own local time."""
    value = item.get(key)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value).strip())
    except ValueError:
        item.error(
            f"{item.label(key)} {show(value)} is not a date and time; "
            "write e.g. 2026-12-20T09:00:00Z or 2026-12-20"
        )
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, zoneinfo.ZoneInfo(tz))
    return moment


def parse_pool(problems: Problems, data: Any, index: int) -> PoolSpec | None:
    name = natural_name(data)
    pool = Item(problems, f"pool '{name}'" if name else f"pool #{index}", data, POOL_KEYS)
    check_name(pool, name, Pool)
    method = pool.text("method", default=Pool.Method.ROUND_ROBIN)
    if method not in Pool.Method.values:
        pool.error(f"unknown method '{method}'; use one of {', '.join(Pool.Method.values)}")
    spec = PoolSpec(
        name=name,
        method=method,
        max_distance_km=_whole(pool.number("max_distance_km", minimum=1, maximum=20_000)),
        no_match=_choice(pool, "no_match", Pool.NoMatch.values, default=Pool.NoMatch.ROTATION),
        performance_window_days=_days(pool.duration("performance_window", default=None)),
        respect_working_hours=pool.flag("respect_working_hours", default=False),
        description=pool.text("description"),
        members=_members(pool),
    )
    return spec if name else None


def _choice(item: Item, key: str, allowed: list[str], *, default: str) -> str:
    value = item.text(key, default=default)
    if value not in allowed:
        item.error(f"{item.label(key)} '{value}' is not one of {', '.join(allowed)}")
        return default
    return value


def _days(window: timedelta | None) -> int:
    """A window like `30d`, in whole days (at least one); 30 when not given."""
    return max(1, round(window.total_seconds() / 86400)) if window else 30


def _whole(number: float | None) -> int | None:
    return None if number is None else round(number)


def _members(pool: Item) -> tuple[MemberSpec, ...]:
    raw = pool.get("members")
    if not raw:
        pool.error("has no members")
        return ()
    if not isinstance(raw, list):
        pool.error("members must be a list of rep e-mails or {rep: e-mail, weight: 2}")
        return ()
    members: list[MemberSpec] = []
    for number, entry in enumerate(raw, start=1):
        member = Item(
            pool.problems,
            pool.where,
            {"rep": entry} if isinstance(entry, str) else entry,
            ("rep", "weight"),
            prefix=f"members[{number}].",
        )
        email = member.text("rep").lower()
        if not email:
            member.error(
                f"members[{number}] needs the rep's e-mail: "
                "ana@example.com or {rep: ana@example.com, weight: 2}"
            )
            continue
        if any(existing.email == email for existing in members):
            pool.error(f"member '{email}' is listed twice")
            continue
        weight = member.integer("weight", default=1, minimum=1, maximum=32767)
        members.append(MemberSpec(email=email, weight=weight or 1))
    return tuple(members)
