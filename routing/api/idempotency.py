"""`Idempotency-Key`: a retried request gets the first answer instead of a second lead.

Per intake key, a key names one request (method, path and body) for at least
IDEMPOTENCY_TTL. The record is inserted, in its own committed transaction, before the
request is processed; the unique constraint on (intake_key, key) is what makes two
concurrent twins safe: exactly one insert wins, the other reads the winner's row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from routing.models import IdempotencyRecord, IntakeKey
from routing.services.idempotency import IDEMPOTENCY_TTL

from .exceptions import BadHeader, IdempotencyConflict, IdempotencyMismatch

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# An in-flight record this old belongs to a request that died without cleaning up (a
# killed worker, a lost database connection). Far longer than any request may run
# (server timeouts are seconds), so a live request is never taken over; a retry then
# proceeds, and if the first attempt did store its lead the retry joins it as a duplicate.
IN_FLIGHT_ABANDONED_AFTER = timedelta(minutes=5)
REPLAYED_HEADER = "Idempotent-Replayed"


def idempotency_key_from(request: Request) -> str | None:
    """The request's Idempotency-Key header, or None; a 400 if it is unusable."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key:
        raise BadHeader(f"The {HEADER} header is empty; send a unique value.")
    if len(key) > MAX_KEY_LENGTH:
        raise BadHeader(
            f"The {HEADER} header is {len(key)} characters long; "
            f"the limit is {MAX_KEY_LENGTH} (a UUID is a good key)."
        )
    if not key.isascii() or not key.isprintable():
        raise BadHeader(f"The {HEADER} header must be printable ASCII (a UUID is a good key).")
    return key


def request_fingerprint(*, method: str, path: str, body: Mapping[str, Any]) -> str:
    """SHA-256 of the method, path and the body in canonical form (sorted keys, no spaces),
    so a retry that re-serializes the same object differently still matches."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{method}\n{path}\n{canonical}".encode()).hexdigest()


def _insert(*, intake_key: IntakeKey, key: str, request_hash: str) -> IdempotencyRecord | None:
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                intake_key=intake_key, key=key, request_hash=request_hash
            )
    except IntegrityError:
        return None


def _is_outdated(record: IdempotencyRecord, now: Any) -> bool:
    if record.created_at < now - IDEMPOTENCY_TTL:
        return True
    return (
        record.state == IdempotencyRecord.State.IN_FLIGHT
        and record.created_at < now - IN_FLIGHT_ABANDONED_AFTER
    )


def idempotency_claim(
    *, intake_key: IntakeKey, key: str, request_hash: str
) -> IdempotencyRecord | Response:
    """The new in-flight record to answer into, or the answer for a repeated key:
    the stored response (replay), 422 for another request, 409 while still in flight."""
    for _attempt in range(3):
        record = _insert(intake_key=intake_key, key=key, request_hash=request_hash)
        if record is not None:
            return record
        existing = IdempotencyRecord.objects.filter(intake_key=intake_key, key=key).first()
        if existing is None:
            continue  # the first request failed and released its record meanwhile
        if _is_outdated(existing, timezone.now()):
            # Conditional on the row we judged, so of two requests replacing it only one
            # deletes; the other's insert then conflicts and it reads the new record.
            IdempotencyRecord.objects.filter(
                pk=existing.pk, created_at=existing.created_at
            ).delete()
            continue
        if existing.state == IdempotencyRecord.State.IN_FLIGHT:
            raise IdempotencyConflict(
                f"A request with this {HEADER} is still being processed; retry in a second."
            )
        if existing.request_hash != request_hash:
            raise IdempotencyMismatch(
                f"This {HEADER} was already used for a different request (another body "
                "or endpoint); use a new key for a new request."
            )
        return Response(
            existing.response_body,
            status=existing.response_status,
            headers={REPLAYED_HEADER: "true"},
        )
    raise IdempotencyConflict(
        f"A request with this {HEADER} is being processed concurrently; retry in a second."
    )


def idempotency_complete(*, record: IdempotencyRecord, response: Response) -> None:
    """Keep the answer for replays. The data is what the serializers produced: plain JSON."""
    IdempotencyRecord.objects.filter(pk=record.pk, state=IdempotencyRecord.State.IN_FLIGHT).update(
        state=IdempotencyRecord.State.DONE,
        response_status=response.status_code,
        response_body=response.data,
    )


def idempotency_release(*, record: IdempotencyRecord) -> None:
    """Forget an in-flight record whose request failed, so a retry can proceed."""
    IdempotencyRecord.objects.filter(pk=record.pk, state=IdempotencyRecord.State.IN_FLIGHT).delete()


def idempotent(
    *,
    request: Request,
    intake_key: IntakeKey,
    key: str | None,
    body: Mapping[str, Any],
    process: Callable[[], Response],
) -> Response:
    """`process()` once per Idempotency-Key `key`; without one, simply `process()`."""
    if key is None:
        return process()
    request_hash = request_fingerprint(method=request.method, path=request.path, body=body)
    claim = idempotency_claim(intake_key=intake_key, key=key, request_hash=request_hash)
    if isinstance(claim, Response):
        return claim
    try:
        response = process()
    except BaseException:
        idempotency_release(record=claim)
        raise
    if response.status_code >= 400:
        idempotency_release(record=claim)  # nothing was done; the client may fix and retry
    else:
        idempotency_complete(record=claim, response=response)
    return response
