"""Which named account a lead belongs to: an index built once per routing snapshot.

In order: the e-mail domain (or a parent domain: eu.acme.com is under acme.com), the
website domain likewise, the normalized company name, then a similar company name.
Free-mail domains never match by domain, even when someone listed gmail.com on an
account. Every step is a dictionary lookup or, for similar names, a bounded comparison
against the few accounts that share a distinctive word with the lead's company.

Similar names are scored with rapidfuzz's `token_sort_ratio` over normalized names:
it forgives word order and typos ("widgets acme" / "acme widgts"), but unlike `WRatio`
or `token_set_ratio` it does not score a short name inside a longer one as a near-perfect
match ("apple" / "pineapple express" is 45, not 90), which would hand leads to the wrong
owner.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain, islice
from typing import Literal

from rapidfuzz import fuzz, process

from territories.names import is_domain, normalize_company_name, normalize_domain

from . import free_mail
from .free_mail import domain_and_parents

MatchedBy = Literal["email domain", "website domain", "company name", "similar company name"]

# Words too common in company names to say which company is meant; they never make an
# account a candidate for a similar-name match (they still count in the score).
COMMON_WORDS = frozenset(
    """
    the and of for a an de la le les du des der die das und et y e
    group systems system solutions solution technologies technology tech global
    international services service consulting partners holdings holding enterprises
    industries associates company corporation incorporated inc llc ltd co corp
    worldwide software digital labs management
    """.split()
)
DEFAULT_MAX_CANDIDATES = 200


@dataclass(frozen=True, slots=True)
class AccountRecord:
    id: int
    name: str
    normalized_name: str
    domains: tuple[str, ...]
    owner_rep_id: int
    owner_name: str
    tier: str


@dataclass(frozen=True, slots=True)
class AccountMatch:
    account_id: int
    name: str
    owner_rep_id: int
    owner_name: str
    tier: str
    matched_by: MatchedBy
    detail: str  # plain words: "e-mail domain eu.acme.com is under acme.com"
    score: float | None  # 0-100 for a similar company name, else None


def _sorted_words(name: str) -> str:
    return " ".join(sorted(name.split()))


def name_tokens(normalized_name: str) -> set[str]:
    """The words of a normalized name that can tell one company from another."""
    return {word for word in normalized_name.split() if len(word) > 1 and word not in COMMON_WORDS}


class AccountIndex:
    """Named accounts by domain, by normalized name and by name word."""

    def __init__(
        self,
        *,
        by_domain: dict[str, AccountRecord],
        by_name: dict[str, AccountRecord],
        by_word: dict[str, tuple[str, ...]],
        fuzzy_threshold: float,
        max_candidates: int,
        ignored_domains: tuple[str, ...],
    ) -> None:
        self._by_domain = by_domain
        self._by_name = by_name
        self._by_word = by_word
        self._sorted_names = {key: _sorted_words(key) for key in by_name}
        self.fuzzy_threshold = fuzzy_threshold
        self.max_candidates = max_candidates
        # A word shared by more accounts than the cap: its first accounts by name, with
        # their sorted forms, made once here; building them per lead cost more than the
        # fuzzy comparisons themselves in a large book. The sorted forms are made afresh
        # for each list, so that the strings one lead is compared with lie together in
        # memory rather than across the whole book: a fifth less time in a large book.
        self._capped = {
            word: _Candidates(
                keys[:max_candidates], {key: _sorted_words(key) for key in keys[:max_candidates]}
            )
            for word, keys in by_word.items()
            if len(keys) > max_candidates
        }
        # "gmail.com on account Acme": listed, never matched. For the admin to show.
        self.ignored_domains = ignored_domains

    def __len__(self) -> int:
        return len(self._by_name)

    @classmethod
    def build(
        cls,
        records: Iterable[AccountRecord],
        *,
        fuzzy_threshold: float = 90.0,
        max_candidates: int = DEFAULT_MAX_CANDIDATES,
    ) -> AccountIndex:
        by_domain: dict[str, AccountRecord] = {}
        by_name: dict[str, AccountRecord] = {}
        ignored: list[str] = []
        # First by name wins a shared domain or normalized name, whatever the load order.
        for record in sorted(records, key=lambda record: (record.name, record.id)):
            key = record.normalized_name or normalize_company_name(record.name)
            if key:
                by_name.setdefault(key, record)
            for raw in record.domains:
                # Stored domains are clean already (DomainField); others are reduced to
                # their host the way the admin does it.
                clean = is_domain(raw) and not raw.startswith("www.")
                domain = raw if clean else (normalize_domain(raw) or raw.strip().lower())
                if not domain:
                    continue
                if free_mail.is_free_mail(domain):
                    ignored.append(f"{domain} ({record.name})")
                else:
                    by_domain.setdefault(domain, record)
        words: dict[str, list[str]] = defaultdict(list)
        for key in by_name:  # in name order, so a capped candidate list is deterministic
            for word in name_tokens(key):
                words[word].append(key)
        return cls(
            by_domain=by_domain,
            by_name=by_name,
            by_word={word: tuple(keys) for word, keys in words.items()},
            fuzzy_threshold=fuzzy_threshold,
            max_candidates=max_candidates,
            ignored_domains=tuple(ignored),
        )

    def match(
        self,
        *,
        email_domain: str = "",
        is_free_mail: bool = False,
        website_domain: str = "",
        company: str = "",
        company_key: str | None = None,
    ) -> AccountMatch | None:
        """The lead's named account, or None. `company_key` (the normalized company
        name) saves normalizing `company` again when the caller already has it."""
        if email_domain and not is_free_mail:
            found = self._by_domain_walk(
                email_domain.strip().lower(), "email domain", "e-mail domain"
            )
            if found:
                return found
        if website_domain:
            found = self._by_domain_walk(
                website_domain.strip().lower(), "website domain", "website domain"
            )
            if found:
                return found
        key = company_key if company_key is not None else normalize_company_name(company)
        if not key:
            return None
        record = self._by_name.get(key)
        if record is not None:
            detail = f"company name '{company or key}' matches {record.name} (both '{key}')"
            return _match(record, "company name", detail, None)
        return self._similar(key, company or key)

    def candidates(self, company_key: str) -> list[str]:
        """Normalized names sharing a distinctive word with the company: what a
        similar-name match compares, at most `max_candidates` of them.

        Words are taken rarest first. A word shared by more accounts than the cap is
        common in this book of accounts whatever the dictionary says, so it is used only
        when the company has no rarer word (and then only its first accounts by name).
        """
        return list(self._candidates(company_key).keys)

    def _candidates(self, company_key: str) -> _Candidates:
        found = sorted(
            (len(self._by_word[word]), word)
            for word in name_tokens(company_key)
            if word in self._by_word
        )
        rare = [self._by_word[word] for count, word in found if count <= self.max_candidates]
        if rare:
            # A name sharing two words is met twice: cap first, then drop repeats (in C).
            keys = dict.fromkeys(islice(chain.from_iterable(rare), self.max_candidates))
            return _Candidates(tuple(keys), self._sorted_names)
        if found:
            return self._capped[found[0][1]]
        return _NO_CANDIDATES

    # ------------------------------------------------------------------------ helpers

    def _by_domain_walk(self, domain: str, by: MatchedBy, label: str) -> AccountMatch | None:
        # The index holds no free-mail domain, so a website typed as gmail.com (or a
        # caller that forgot the free-mail flag) finds nothing here.
        for candidate in domain_and_parents(domain):
            record = self._by_domain.get(candidate)
            if record is not None:
                if candidate == domain:
                    detail = f"{label} {domain}"
                else:
                    detail = f"{label} {domain} is under {candidate}"
                return _match(record, by, detail)
        return None

    def _similar(self, key: str, shown: str) -> AccountMatch | None:
        candidates = self._candidates(key)
        if not candidates.keys:
            return None
        # token_sort_ratio is ratio() of the words in sorted order; the accounts' sorted
        # forms are made once at build, so only the lead's is sorted here.
        scored = process.extract(
            _sorted_words(key),
            candidates.sorted_names,
            scorer=fuzz.ratio,
            score_cutoff=self.fuzzy_threshold,
            limit=None,
        )
        if not scored:
            return None
        top = max(score for _, score, _ in scored)
        record = min(
            (self._by_name[candidates.keys[at]] for _, score, at in scored if score == top),
            key=lambda record: (record.name, record.id),
        )
        score = round(float(top), 1)
        detail = f"company name '{shown}' is {score:g}% like {record.name}"
        return _match(record, "similar company name", detail, score)


class _Candidates:
    """Normalized names to compare a company with, and their words in sorted order."""

    __slots__ = ("keys", "sorted_names")

    def __init__(self, keys: tuple[str, ...], sorted_names: dict[str, str]) -> None:
        self.keys = keys
        self.sorted_names = [sorted_names[key] for key in keys]


_NO_CANDIDATES = _Candidates((), {})


def _match(
    record: AccountRecord, by: MatchedBy, detail: str, score: float | None = None
) -> AccountMatch:
    return AccountMatch(
        account_id=record.id,
        name=record.name,
        owner_rep_id=record.owner_rep_id,
        owner_name=record.owner_name,
        tier=record.tier,
        matched_by=by,
        detail=detail,
        score=score,
    )
