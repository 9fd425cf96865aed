"""How a pool picks one of its members, and the rotation state it leaves behind.

Members take turns in the order they joined (membership id). The rotation keeps the id
of the last member picked, not a position, so adding or removing members does not
shift everybody else's turn.

A least-loaded pool keeps no rotation: it goes by its members' loads, and a tie goes to
the member whose latest lead came longest ago. So deciding for it reads, locks and
writes no shared row, and its leads do not wait for each other (a rotation row is
locked from a lead's first statement to its commit; every lead through a busy fallback
pool queued there).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from routing.normalize import LeadFacts
from territories import geo

from .eligibility import NO_LOAD, unavailable_because
from .matching import SEMANTIC_THRESHOLD, covered, lead_needs
from .types import Member, PoolProfile, RepProfile, Rotation, RotationUpdate, RoutingState

NO_ROTATION = Rotation()


def uses_rotation(method: str) -> bool:
    """Whether a pool with this method keeps a rotation (read, locked, turned per lead)."""
    return method != "least_loaded"


def _in_turn_order(pool: PoolProfile, rotation: Rotation) -> tuple[Member, ...]:
    start = bisect_right(pool.members, rotation.cursor, key=lambda member: member.membership_id)
    return pool.members[start:] + pool.members[:start]


def _skip(pool: PoolProfile, rep: RepProfile, reason: str) -> dict[str, Any]:
    return {"step": "skip", "pool": pool.name, "rep": rep.name, "rep_id": rep.id, "reason": reason}


def pick_member(
    pool: PoolProfile,
    *,
    reps: dict[int, RepProfile] | Any,
    state: RoutingState,
    now: datetime,
    relaxed: bool = False,
    lead: LeadFacts | None = None,
) -> tuple[Member | None, RotationUpdate | None, list[dict[str, Any]]]:
    """The member who gets the lead (None: nobody eligible), the new rotation, the steps.
    `lead`: for pools that choose by the lead itself (nearest)."""
    rotation = (
        state.rotations.get(pool.id, NO_ROTATION) if uses_rotation(pool.method) else NO_ROTATION
    )
    steps: list[dict[str, Any]] = []
    hours = pool.respect_working_hours and not relaxed

    def available_in_turn() -> Iterator[Member]:
        """Available members in turn order; the others are skipped in the trace."""
        for member in _in_turn_order(pool, rotation):
            rep = reps[member.rep_id]
            reason = unavailable_because(
                rep, now=now, state=state, check_hours=hours, relaxed=relaxed
            )
            if reason is None:
                yield member
            else:
                steps.append(_skip(pool, rep, reason))

    if pool.method == "round_robin" or (relaxed and uses_rotation(pool.method)):
        # Only members up to the first available one are looked at: strict rotation.
        chosen = next(available_in_turn(), None)
        weights = rotation.weights
        why = "next in the rotation"
    else:
        eligible = list(available_in_turn())
        if pool.method == "weighted":
            chosen, weights, why = _weighted(eligible, rotation)
        elif pool.method == "performance":
            chosen, weights, why = _by_performance(eligible, rotation)
        elif pool.method == "nearest":
            chosen, why = _nearest(eligible, pool, reps, lead, steps)
            weights = rotation.weights
        elif pool.method == "best_match":
            chosen, why = _best_match(eligible, pool, reps, lead, steps, state.similarity)
            weights = rotation.weights
        else:
            chosen, why = _least_loaded(eligible, state)
            weights = {}  # no rotation to turn (see below)
    if chosen is None:
        return None, None, steps
    rep = reps[chosen.rep_id]
    steps.append(
        {
            "step": "pick",
            "pool": pool.name,
            "method": pool.method,
            "rep": rep.name,
            "rep_id": rep.id,
            "why": why,
        }
    )
    if not uses_rotation(pool.method):
        return chosen, None, steps
    update = RotationUpdate(pool.id, chosen.membership_id, weights)
    return chosen, update, steps


def _nearest(
    eligible: list[Member],
    pool: PoolProfile,
    reps: dict[int, RepProfile] | Any,
    lead: LeadFacts | None,
    steps: list[dict[str, Any]],
) -> tuple[Member | None, str]:
    """The eligible member closest to the lead (great-circle), within the pool's radius;
    equal distances (to 0.1 km) go by turn order, which `eligible` is in."""
    where = (
        geo.place(country=lead.country, postal_code=lead.postal_code, attributes=lead.attributes)
        if lead
        else None
    )
    if where is None:
        steps.append(
            {
                "step": "skip",
                "pool": pool.name,
                "reason": "the lead has no location (a US ZIP code, or attributes.latitude "
                "and attributes.longitude)",
            }
        )
        return None, ""
    distances: list[tuple[float, int, Member]] = []
    for turn, member in enumerate(eligible):
        rep = reps[member.rep_id]
        if rep.location is None:
            steps.append(_skip(pool, rep, "no location on file"))
            continue
        distances.append((round(geo.distance_km(where, rep.location), 1), turn, member))
    distances.sort(key=lambda entry: entry[:2])
    shown = ", ".join(f"{reps[m.rep_id].name} {km:,.1f} km" for km, _, m in distances)
    if not distances:
        return None, ""
    km, _, chosen = distances[0]
    if pool.max_distance_km is not None and km > pool.max_distance_km:
        steps.append(
            {
                "step": "skip",
                "pool": pool.name,
                "reason": f"nobody within {pool.max_distance_km:g} km ({shown})",
            }
        )
        return None, ""
    return chosen, f"nearest: {shown}"


def _weighted(
    eligible: list[Member], rotation: Rotation
) -> tuple[Member | None, dict[int, int], str]:
    chosen, weights, total = _smooth_weighted(eligible, rotation, lambda m: m.weight)
    if chosen is None:
        return None, weights, ""
    return chosen, weights, f"weighted rotation: weight {chosen.weight} of {total}"


def _best_match(
    eligible: list[Member],
    pool: PoolProfile,
    reps: dict[int, RepProfile] | Any,
    lead: LeadFacts | None,
    steps: list[dict[str, Any]],
    similarity: Mapping[int, float] | None,
) -> tuple[Member | None, str]:
    """The eligible member whose skills cover most of what the lead needs, plus (with
    semantic matching) how close the lead's message is to their expertise; equal scores
    go by turn order. Nobody matching at all: the pool's `no_match` decides."""
    needs = lead_needs(lead) if lead else {}
    wanted = sum(len(values) for values in needs.values())
    meaning = {
        rep: score for rep, score in (similarity or {}).items() if score >= SEMANTIC_THRESHOLD
    }
    scored = [
        (covered(needs, reps[member.rep_id].skills), meaning.get(member.rep_id, 0.0), member)
        for member in eligible
    ]
    if not scored:
        return None, ""
    mode = "exact skills" if similarity is None else "skills and meaning"
    best_cover, best_meaning, chosen = max(scored, key=lambda entry: len(entry[0]) + entry[1])
    if not best_cover and not best_meaning:
        what = "; ".join(f"{kind} {', '.join(sorted(values))}" for kind, values in needs.items())
        if pool.no_match == "fall_through":
            steps.append(
                {
                    "step": "skip",
                    "pool": pool.name,
                    "reason": f"nobody has a skill the lead needs ({what or 'it names none'})",
                }
            )
            return None, ""
        return eligible[0], f"nobody matches ({what or 'the lead names no needs'}); next in turn"
    others = ", ".join(
        f"{reps[member.rep_id].name} {len(cover) + score:g}"
        for cover, score, member in scored
        if member is not chosen
    )
    found = [f"{', '.join(best_cover) or 'no skill'} ({len(best_cover)} of {wanted})"]
    if best_meaning:
        found.append(f"message {best_meaning:.2f} like their expertise")
    return chosen, (
        f"best match by {mode}: {'; '.join(found)}" + (f"; others {others}" if others else "")
    )


def _by_performance(
    eligible: list[Member], rotation: Rotation
) -> tuple[Member | None, dict[int, int], str]:
    """Weighted rotation with weights from conversion rates (routing.services.performance),
    a neutral 1.00 for members without figures yet."""

    def weight(member: Member) -> int:
        return rotation.performance.get(member.membership_id, NEUTRAL)[0]

    chosen, weights, total = _smooth_weighted(eligible, rotation, weight)
    if chosen is None:
        return None, weights, ""
    share, source = rotation.performance.get(chosen.membership_id, NEUTRAL)
    return chosen, weights, f"performance weight {share / 100:.2f} of {total / 100:.2f} ({source})"


NEUTRAL = (100, "no outcomes yet: neutral weight")


def _smooth_weighted(
    eligible: list[Member], rotation: Rotation, weight_of: Any
) -> tuple[Member | None, dict[int, int], int]:
    """Smooth weighted rotation (as nginx balances upstreams): over any run of
    sum(weights) leads each member gets exactly its weight, spread out, not in bursts."""
    weights = dict(rotation.weights)
    if not eligible:
        return None, weights, 0
    total = 0
    chosen, highest = eligible[0], None
    for member in eligible:
        weight = weight_of(member)
        total += weight
        current = weights.get(member.membership_id, 0) + weight
        weights[member.membership_id] = current
        # The first of equals wins, and `eligible` starts after the last pick.
        if highest is None or current > highest:
            chosen, highest = member, current
    weights[chosen.membership_id] -= total
    return chosen, weights, total


def _least_loaded(eligible: list[Member], state: RoutingState) -> tuple[Member | None, str]:
    if not eligible:
        return None, ""

    def load(member: Member) -> tuple[int, int]:
        rep_load = state.loads.get(member.rep_id, NO_LOAD)
        return rep_load.open_total, rep_load.last_assigned

    chosen = min(eligible, key=load)  # equal in both: the first in member order
    open_total, _ = load(chosen)
    return chosen, (
        f"fewest open leads ({open_total}); a tie goes to whoever has waited longest "
        "since their last lead"
    )
