"""Keyword fields (a lead's source) in the one form that is stored and compared.

Forms send what their author typed ("Pricing Page", "pricing-page") where rules say
`pricing_page`: lower case, with runs of spaces, hyphens and underscores as one "_".
"""

from __future__ import annotations

import re
from typing import Any

_SEPARATORS = re.compile(r"[\s_-]+")


def normalize_keyword(text: str) -> str:
    return _SEPARATORS.sub("_", text.strip().lower()).strip("_")


def keyword_test(test: Any) -> Any:
    """A condition's test on a keyword field with its text in the compared form;
    numbers, booleans and `exists` as they are."""
    if isinstance(test, str):
        return normalize_keyword(test)
    if isinstance(test, list):
        return [keyword_test(item) for item in test]
    if isinstance(test, dict):
        return {
            operator: value if operator == "exists" else keyword_test(value)
            for operator, value in test.items()
        }
    return test
