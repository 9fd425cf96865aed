"""Which territory a lead falls in: an index built once per routing snapshot.

Each territory is filed under its most specific geographic matcher only: its (country,
postal prefix) pairs (ranges cut into the few prefixes that cover them), else its
(country, state) pairs, else its countries, else one "anywhere" place; and within that
place under each of its industries (or "any industry"). A lead looks up only the
buckets its own postal code, state, country and industry point at, and every matcher is
then checked on those few candidates; so the cost of a lookup depends on how many
territories share the lead's buckets, never on how many territories exist.

Buckets are sorted by the winning order (priority, specificity, name), so the first
candidate in a bucket that holds is the best that bucket has, and a candidate that
cannot beat the best found so far ends the bucket.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reps.owners import Owner
from territories.postal import PostalMatcherError, parse_postal_matcher

# Specificity of the geographic matcher a territory is filed under: higher wins ties.
POSTAL, STATE, COUNTRY, ELSEWHERE = 3, 2, 1, 0
# Postal matchers are [0-9A-Z]+; ranges are ordered like strings (digits before letters).
_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True, slots=True)
class TerritoryRecord:
    id: int
    name: str
    priority: int
    countries: tuple[str, ...]
    states: tuple[str, ...]
    postal_codes: tuple[str, ...]
    industries: tuple[str, ...]
    employee_count_min: int | None
    employee_count_max: int | None
    owner: Owner


@dataclass(frozen=True, slots=True)
class TerritoryMatch:
    territory_id: int
    name: str
    owner: Owner
    matched_on: str  # plain words: "postal code 10012 in 100-104, country US"


def range_prefixes(low: str, high: str) -> list[str]:
    """The fewest prefixes covering exactly the codes whose first len(low) characters sort
    from `low` to `high`: '100-104' -> 100..104; '10000-19999' -> 10..18, 190..198, ...

    Like cutting an address range into CIDR blocks: at most ~70 prefixes per character,
    whatever the width of the range.
    """
    size = len(low)
    same = 0
    while same < size and low[same] == high[same]:
        same += 1
    if same == size:
        return [low]
    head, rest = low[:same], size - same - 1
    if low[same:] == "0" * (size - same) and high[same:] == "Z" * (size - same):
        return [head]
    first, last = low[same], high[same]
    if rest == 0 or low[same + 1 :] == "0" * rest:
        prefixes = [head + first]
    else:
        prefixes = range_prefixes(low, head + first + "Z" * rest)
    between = _CHARS[_CHARS.index(first) + 1 : _CHARS.index(last)]
    prefixes.extend(head + char for char in between)
    if rest == 0 or high[same + 1 :] == "Z" * rest:
        prefixes.append(head + last)
    else:
        prefixes.extend(range_prefixes(head + last + "0" * rest, high))
    return prefixes


class _Territory:
    """A record with its matchers in the form the checks want."""

    __slots__ = ("countries", "industries", "maximum", "minimum", "postal", "record", "states")

    def __init__(self, record: TerritoryRecord) -> None:
        self.record = record
        self.countries = frozenset(c.strip().upper() for c in record.countries if c.strip())
        self.states = frozenset(s.strip().upper() for s in record.states if s.strip())
        self.industries = frozenset(i.strip().casefold() for i in record.industries if i.strip())
        self.minimum = record.employee_count_min
        self.maximum = record.employee_count_max
        self.postal = tuple(
            (*parse_postal_matcher(text), text.strip().upper())
            for text in record.postal_codes
            if text.strip()
        )

    def holds(self, country: str, state: str, industry: str, employees: int | None) -> bool:
        """Every matcher but the postal code (the bucket entry checks that)."""
        if self.countries and country not in self.countries:
            return False
        if self.states and state not in self.states:
            return False
        if self.industries and industry not in self.industries:
            return False
        if self.minimum is not None or self.maximum is not None:
            if employees is None:
                return False
            if self.minimum is not None and employees < self.minimum:
                return False
            if self.maximum is not None and employees > self.maximum:
                return False
        return True


class _Entry:
    """A territory filed in a bucket, with its rank and (for postal buckets) the matcher."""

    __slots__ = ("high", "key", "low", "matcher", "territory")

    def __init__(self, territory: _Territory, level: int, postal: tuple[str, str, str] | None):
        record = territory.record
        self.territory = territory
        self.low, self.high, self.matcher = postal or ("", "", "")
        # Lowest priority, then most specific (a longer postal prefix is more specific).
        self.key = (record.priority, -level, -len(self.low), record.name, record.id)

    def holds(
        self, country: str, state: str, code: str, industry: str, employees: int | None
    ) -> bool:
        if self.matcher:
            size = len(self.low)
            if len(code) < size or not (self.low <= code[:size] <= self.high):
                return False
        return self.territory.holds(country, state, industry, employees)

    def describe(
        self, country: str, state: str, code: str, industry: str, employees: int | None
    ) -> str:
        territory = self.territory
        parts = []
        if self.matcher:
            how = "in" if "-" in self.matcher else "starts with"
            parts.append(f"postal code {code} {how} {self.matcher}")
        if territory.states:
            parts.append(f"state {state}")
        if territory.countries:
            parts.append(f"country {country}")
        if territory.industries:
            parts.append(f"industry {industry}")
        low, high = territory.minimum, territory.maximum
        if low is not None and high is not None:
            parts.append(f"{employees} employees in {low}-{high}")
        elif low is not None:
            parts.append(f"{employees} employees, at least {low}")
        elif high is not None:
            parts.append(f"{employees} employees, at most {high}")
        return ", ".join(parts) or "no matchers: every lead"


Bucket = tuple[_Entry, ...]
Place = tuple[str, ...]
# Within a place: (industry or "" for any, whether the territory has an employee band).
Group = dict[tuple[str, bool], Bucket]


class TerritoryIndex:
    """Territories filed for lookup by a lead's place; build once, match many times.

    Places: ("postal", country, prefix), ("state", country, state), ("country", country),
    ("other",), where a country of "" stands for a territory without countries. Within
    a place, territories are grouped by industry ("" for any) and by whether they have
    an employee band, which a lead without an employee count skips whole.
    """

    def __init__(
        self, places: dict[Place, Group], *, size: int, problems: tuple[str, ...] = ()
    ) -> None:
        self._places = places
        # Only the prefix lengths some matcher uses are looked up, longest first.
        self._postal_lengths = tuple(
            sorted({len(place[2]) for place in places if place[0] == "postal"}, reverse=True)
        )
        # Whether any territory without countries has postal codes or states.
        self._anywhere_postal = any(p[0] == "postal" and not p[1] for p in places)
        self._anywhere_state = any(p[0] == "state" and not p[1] for p in places)
        self.size = size
        self.problems = problems  # territories left out, in plain words

    def __len__(self) -> int:
        return self.size

    @classmethod
    def build(cls, records: Iterable[TerritoryRecord]) -> TerritoryIndex:
        filed: dict[Place, dict[tuple[str, bool], dict[tuple[int, str], _Entry]]] = {}
        problems: list[str] = []
        size = 0
        for record in records:
            try:
                territory = _Territory(record)
            except PostalMatcherError as error:
                # A territory whose matcher cannot be read must not match more than it
                # says (dropping the matcher would), so it is left out and reported.
                problems.append(f"Territory '{record.name}' is left out: {error}")
                continue
            size += 1
            countries = territory.countries or {""}
            banded = territory.minimum is not None or territory.maximum is not None
            groups = [(industry, banded) for industry in territory.industries or {""}]
            filings: list[tuple[Place, _Entry, str]] = []
            if territory.postal:
                for low, high, text in territory.postal:
                    entry = _Entry(territory, POSTAL, (low, high, text))
                    filings.extend(
                        (("postal", country, prefix), entry, text)
                        for prefix in range_prefixes(low, high)
                        for country in countries
                    )
            elif territory.states:
                entry = _Entry(territory, STATE, None)
                filings.extend(
                    (("state", country, state), entry, "")
                    for country in countries
                    for state in territory.states
                )
            elif territory.countries:
                entry = _Entry(territory, COUNTRY, None)
                filings.extend((("country", country), entry, "") for country in countries)
            else:
                filings.append((("other",), _Entry(territory, ELSEWHERE, None), ""))
            for place, entry, matcher in filings:
                group = filed.setdefault(place, {})
                for key in groups:
                    group.setdefault(key, {})[record.id, matcher] = entry
        return cls(
            {
                place: {
                    key: tuple(sorted(entries.values(), key=_rank))
                    for key, entries in group.items()
                }
                for place, group in filed.items()
            },
            size=size,
            problems=tuple(problems),
        )

    def match(
        self,
        *,
        country: str = "",
        state: str = "",
        postal_code: str = "",
        industry: str = "",
        employee_count: int | None = None,
    ) -> tuple[TerritoryMatch | None, int]:
        """The winning territory for a lead (or None) and how many candidates were checked.

        Expects the normalized lead (routing.normalize): ISO country, state code, postal
        code without spaces; case and stray spaces or dashes are forgiven.
        """
        country = (country or "").strip().upper()
        state = (state or "").strip().upper()
        code = (postal_code or "").replace(" ", "").replace("-", "").upper()
        industry_key = (industry or "").strip().casefold()
        get = self._places.get
        groups: list[Group | None] = []
        if code:
            for length in self._postal_lengths:
                if length <= len(code):
                    if country:
                        groups.append(get(("postal", country, code[:length])))
                    if self._anywhere_postal:
                        groups.append(get(("postal", "", code[:length])))
        if state:
            if country:
                groups.append(get(("state", country, state)))
            if self._anywhere_state:
                groups.append(get(("state", "", state)))
        if country:
            groups.append(get(("country", country)))
        groups.append(get(("other",)))
        keys = [("", False)]
        if industry_key:
            keys.append((industry_key, False))
        if employee_count is not None:
            keys.extend([(industry, True) for industry, _ in keys])

        best: _Entry | None = None
        examined = 0
        for group in groups:
            if not group:
                continue
            for key in keys:
                for entry in group.get(key, ()):
                    if best is not None and entry.key >= best.key:
                        break  # sorted: nothing further in this bucket can win
                    examined += 1
                    if entry.holds(country, state, code, industry_key, employee_count):
                        best = entry
                        break
        if best is None:
            return None, examined
        record = best.territory.record
        matched_on = best.describe(country, state, code, (industry or "").strip(), employee_count)
        return TerritoryMatch(record.id, record.name, record.owner, matched_on), examined


def _rank(entry: _Entry) -> tuple[int, int, int, str, int]:
    return entry.key
