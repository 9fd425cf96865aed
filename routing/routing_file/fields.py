"""Reading one item of a routing file key by key, reporting every problem under its name."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from outgoing.addresses import check_url
from routing.durations import parse_duration

from .errors import Problems
from .spec import OwnerRef

_validate_url = URLValidator(schemes=["http", "https"])


def message_of(error: ValidationError) -> str:
    return " ".join(error.messages)


def show(value: Any) -> str:
    """A value as the file spells it, for messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return f"'{value}'"
    return repr(value)


class Item:
    """One mapping of the file (a rep, a rule, a rep's capacity...) and where it is.

    `where` names the item ("rep 'ana@example.com'"); keys of nested mappings are shown
    dotted ("capacity.max_open") so that every message points at one spot in the file.
    Readers return a usable default after reporting a problem, so that reading goes on
    and the run reports everything at once.
    """

    def __init__(
        self,
        problems: Problems,
        where: str,
        data: Any,
        allowed: Sequence[str],
        *,
        prefix: str = "",
        what: str = "",
    ) -> None:
        self.problems = problems
        self.where = where
        self.prefix = prefix
        if data is None:
            data = {}
        if not isinstance(data, dict):
            self.error(
                f"{what or prefix.rstrip('.') or 'this item'} must be a mapping "
                f"of keys ({', '.join(allowed)}), not {show(data)}"
            )
            data = {}
        self.data: dict[Any, Any] = data
        for key in data:
            if key not in allowed:
                self.error(unknown_key_message(f"{prefix}{key}", [f"{prefix}{k}" for k in allowed]))

    # -- reporting -------------------------------------------------------------------

    def error(self, message: str) -> None:
        self.problems.add(self.where, message)

    def label(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def get(self, key: str) -> Any:
        """The raw value; an explicit null counts as not given."""
        return self.data.get(key)

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    # -- readers ---------------------------------------------------------------------

    def text(self, key: str, *, default: str = "", max_length: int | None = None) -> str:
        value = self.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.error(f"{self.label(key)} must be text, not {show(value)}")
            return default
        text = str(value).strip()
        if max_length is not None and len(text) > max_length:
            self.error(
                f"{self.label(key)} is {len(text)} characters long; at most {max_length} fit"
            )
            return text[:max_length]
        return text

    def flag(self, key: str, *, default: bool) -> bool:
        value = self.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(f"{self.label(key)} must be true or false, not {show(value)}")
            return default
        return value

    def integer(
        self,
        key: str,
        *,
        default: int | None = None,
        minimum: int = 0,
        maximum: int = 2_147_483_647,
    ) -> int | None:
        value = self.get(key)
        if value is None:
            return default
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not (minimum <= value <= maximum)
        ):
            self.error(
                f"{self.label(key)} must be a whole number from {minimum} to "
                f"{maximum}, not {show(value)}"
            )
            return default
        return value

    def number(self, key: str, *, minimum: float, maximum: float) -> float | None:
        value = self.get(key)
        if value is None:
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not (minimum <= value <= maximum)
        ):
            self.error(
                f"{self.label(key)} must be a number from {minimum:g} to "
                f"{maximum:g}, not {show(value)}"
            )
            return None
        return float(value)

    def text_list(self, key: str, *, upper: bool = False) -> tuple[str, ...]:
        """A list of short texts; a single text is a list of one."""
        value = self.get(key)
        if value is None:
            return ()
        items = value if isinstance(value, list) else [value]
        texts: list[str] = []
        for item in items:
            if isinstance(item, bool) or not isinstance(item, str | int | float):
                self.error(
                    f"{self.label(key)} must be a list of texts, like [a, b]; "
                    f"{show(item)} is not text"
                )
                continue
            text = str(item).strip()
            if text:
                texts.append(text.upper() if upper else text)
        return tuple(texts)

    def url(self, key: str, *, max_length: int = 200) -> str:
        """A URL the server will post to: a web address the outbound policy allows."""
        url = self.text(key, max_length=max_length)
        if url:
            try:
                _validate_url(url)
            except ValidationError:
                self.error(f"{self.label(key)} '{url}' is not a web address (http:// or https://)")
                return ""
            try:
                check_url(url)
            except ValidationError as refused:
                self.error(f"{self.label(key)} '{url}' is refused: {message_of(refused)}")
                return ""
        return url

    def duration(
        self, key: str, *, default: timedelta | None, allow_zero: bool = False
    ) -> timedelta | None:
        value = self.get(key)
        if value is None:
            return default
        if allow_zero and not isinstance(value, bool) and value in (0, "0", "0s"):
            return timedelta(0)
        try:
            return parse_duration(value)
        except ValidationError as error:
            self.error(f"{self.label(key)} {message_of(error)}")
            return default

    def checked(self, key: str, value: Any, validate: Callable[[Any], None]) -> bool:
        """Run a model validator on `value`; report its message under `key`."""
        try:
            validate(value)
        except ValidationError as error:
            self.error(f"{self.label(key)}: {message_of(error)}")
            return False
        return True

    def mapping(self, key: str, allowed: Sequence[str]) -> Item:
        return Item(
            self.problems,
            self.where,
            self.get(key),
            allowed,
            prefix=f"{self.prefix}{key}.",
            what=self.label(key),
        )

    def owner(
        self, key: str, *, example: str = "{pool: Inside Sales} or {rep: ana@example.com}"
    ) -> OwnerRef | None:
        """`{rep: e-mail}` or `{pool: name}`; None when not given or wrong (reported)."""
        value = self.get(key)
        if value is None:
            return None
        if (
            not isinstance(value, dict)
            or len(value) != 1
            or next(iter(value)) not in ("rep", "pool")
        ):
            self.error(f"{self.label(key)} must be {example}, not {show(value)}")
            return None
        kind, name = next(iter(value.items()))
        if not isinstance(name, str) or not name.strip():
            self.error(
                f"{self.label(key)}.{kind} must be the {kind}'s "
                f"{'e-mail' if kind == 'rep' else 'name'}, not {show(name)}"
            )
            return None
        name = name.strip()
        return OwnerRef(kind, name.lower() if kind == "rep" else name)


def unknown_key_message(key: str, allowed: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"use one of {', '.join(allowed)}"
    return f"unknown key '{key}'; {hint}"


def natural_name(data: Any) -> str:
    """The `name` of an item, its natural key; '' when missing or not text."""
    value = data.get("name") if isinstance(data, dict) else None
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    return str(value).strip()


def check_name(item: Item, name: str, model: Any) -> None:
    """Names are natural keys: required, and within the model's column width."""
    limit = model._meta.get_field("name").max_length
    if not name:
        item.error("name is required")
    elif len(name) > limit:
        item.error(f"name is {len(name)} characters long; at most {limit} fit")
