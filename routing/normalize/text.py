"""Which characters text from outside may hold.

Every text a lead source sends ends up in a database, a web page, an e-mail or a Slack
message. Two kinds of character are refused where the text enters:

- characters nothing can store: NUL (PostgreSQL text and jsonb cannot hold it) and lone
  UTF-16 surrogates (JSON's "\\ud800" escape parses into one; no UTF-8 encoder accepts it);
- in a single-line field (a name, a company, a source), line breaks and other control
  characters: "Ana\\r\\nBcc: ..." as a first name would become a forged header of every
  e-mail that names the lead. Multi-line text (a message) keeps newlines and tabs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

# Character classes in regular-expression syntax that Python and JSON Schema (ECMA-262)
# read alike, so the API's schema states exactly what is refused here.
# C0 and C1 controls, DEL, and the Unicode line and paragraph separators:
_ONE_LINE_REFUSED = "\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029"
# The same, except tab, line feed and carriage return:
_MULTI_LINE_REFUSED = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f"
ONE_LINE_PATTERN = f"^[^{_ONE_LINE_REFUSED}]*$"
MULTI_LINE_PATTERN = f"^[^{_MULTI_LINE_REFUSED}]*$"
_SURROGATES = "\\ud800-\\udfff"  # no JSON Schema string holds one; Python's can

_UNSTORABLE = re.compile(f"[\\x00{_SURROGATES}]")
_NOT_ONE_LINE = re.compile(f"[{_ONE_LINE_REFUSED}{_SURROGATES}]")
_NOT_MULTI_LINE = re.compile(f"[{_MULTI_LINE_REFUSED}{_SURROGATES}]")
_LINE_BREAKS = frozenset("\r\n\u2028\u2029\x0b\x0c\x85")


def _describe(character: str, *, multiline: bool = False) -> str:
    code = f"U+{ord(character):04X}"
    if character == "\x00":
        return f"Contains a NUL character ({code}); remove it."
    if "\ud800" <= character <= "\udfff":
        return (
            f"Contains {code}, half of a UTF-16 surrogate pair, which is not a character "
            "on its own; send valid Unicode text."
        )
    if character in _LINE_BREAKS and not multiline:
        return f"Contains a line break ({code}); this field takes a single line of text."
    return f"Contains the control character {code}; send printable text."


def text_problem(text: str, *, multiline: bool = False) -> str | None:
    """Why `text` cannot be taken as a field's value, or None."""
    match = (_NOT_MULTI_LINE if multiline else _NOT_ONE_LINE).search(text)
    return None if match is None else _describe(match.group(), multiline=multiline)


def unstorable_problem(value: Any) -> str | None:
    """Why a JSON value (strings, and the keys and items of objects and lists, however
    deep) cannot be stored, or None. Iterative: no input can exhaust the stack."""
    for text in _strings(value):
        match = _UNSTORABLE.search(text)
        if match is not None:
            return _describe(match.group())
    return None


def one_line(text: str) -> str:
    """`text` with every line break and control character turned into a space: for a
    value that must hold one line whatever is stored (an e-mail's subject)."""
    return " ".join(_NOT_ONE_LINE.sub(" ", text).split())


def printable_name(text: str) -> str:
    """A name as it can be echoed in an answer: unencodable characters as escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _strings(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
