"""The API's JSON answers, written by orjson.

DRF's JSONRenderer writes them with the standard library, several times slower for an
answer carrying a decision's trace. Same bytes for
what the API answers: compact, UTF-8, U+2028 and U+2029 escaped as DRF escapes them,
dates and times through DRF's encoder (which cuts microseconds to milliseconds), and so
is anything else orjson does not write itself (lazy translations, decimals); a float in
exponent form may lose its exponent's leading zero (1e-7 for 1e-07), the same number.
A client asking for indentation (`Accept: application/json; indent=4`), and whatever
orjson refuses (integers past 64 bits, keys that are not text), get DRF's own rendering.
"""

from __future__ import annotations

from typing import Any

import orjson
from rest_framework import renderers

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME  # dates and times: DRF's encoder


class JSONRenderer(renderers.JSONRenderer):
    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> bytes:
        if (
            data is None
            or not self.compact
            or self.ensure_ascii
            or self.get_indent(accepted_media_type, renderer_context or {}) is not None
        ):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            text = orjson.dumps(data, default=self.encoder_class().default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        if b"\xe2\x80\xa8" in text or b"\xe2\x80\xa9" in text:
            text = text.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return text
