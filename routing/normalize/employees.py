"""Head counts from what forms send: numbers, "1,200", bands, "1000+", "10k+"."""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

MAX_EMPLOYEES = 2_147_483_647  # the model's PositiveIntegerField
_NUMBER = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?:\s?([km])(?![a-z]))?")
_TRAILING_WORDS = re.compile(r"\s*\b(employees?|people|staff|persons?|ftes?|emp)\b\.?$")
# The shape of the text once each number is replaced by '#'.
_AT_LEAST = frozenset(
    {"#", "#+", "# +", "# or more", "# and more", "# and up", "# and above", "# plus"}
    | {">=#", ">= #", "≥#", "≥ #", "at least #", "min #", "minimum #"}
)
_MORE_THAN = frozenset({">#", "> #", "over #", "more than #", "above #"})
_BELOW = frozenset({"<#", "< #", "under #", "less than #", "fewer than #", "below #"})
_UP_TO = frozenset({"<=#", "<= #", "≤#", "≤ #", "up to #"})
_BAND = frozenset({"#-#", "# - #", "#–#", "# – #", "#—#", "# — #", "# to #", "between # and #"})
_EMPLOYEES_HELP = "send a whole number like 250 or a band like 51-200"


def _whole_number(found: re.Match[str], value: Any) -> int:
    digits, fraction, unit = found.groups()
    number = Decimal(digits.replace(",", "") + (f".{fraction}" if fraction else ""))
    if unit:
        number *= 1000 if unit == "k" else 1_000_000
    elif fraction and len(fraction) == 3 and fraction != "000":
        # "1.200": one point two, or twelve hundred written the European way? Ask.
        raise ValueError(f"'{value}' is ambiguous as a number of employees; {_EMPLOYEES_HELP}.")
    return int(number)  # "1.5k" -> 1500; a fraction is dropped, never rounded up


def parse_employee_count(value: Any) -> int | None:
    """A head count from what forms send: 1200, '1,200', '51-200' -> 51, '1000+' -> 1000,
    '10k+' -> 10000, '<10' -> 1, '>500' -> 501; None for nothing.

    A band gives its lower bound: the company is never taken for bigger than the lead said.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number of employees; {_EMPLOYEES_HELP}.")
    if isinstance(value, int | float):
        if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
            raise ValueError(f"'{value}' is not a whole number of employees; {_EMPLOYEES_HELP}.")
        count = int(value)
    elif isinstance(value, str):
        count = _employee_text(value)
    else:
        raise ValueError(f"'{value}' is not a number of employees; {_EMPLOYEES_HELP}.")
    if count < 0:
        raise ValueError(f"'{value}' employees: the number of employees can't be negative.")
    if count > MAX_EMPLOYEES:
        raise ValueError(f"'{value}' is more employees than any company has.")
    return count


def _employee_text(value: str) -> int:
    text = _TRAILING_WORDS.sub("", " ".join(value.strip().lower().split()))
    numbers = list(_NUMBER.finditer(text))
    shape = _NUMBER.sub("#", text).strip()
    counts = [_whole_number(found, value) for found in numbers]
    if shape == "-#":
        return -counts[0]
    if shape in _AT_LEAST:
        return counts[0]
    if shape in _MORE_THAN:
        return counts[0] + 1
    if shape in _BELOW:
        return 1 if counts[0] > 1 else 0
    if shape in _UP_TO:
        return 1 if counts[0] >= 1 else 0
    if shape in _BAND:
        return min(counts)
    raise ValueError(f"'{value}' is not a number of employees; {_EMPLOYEES_HELP}.")
