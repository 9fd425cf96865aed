"""Where things are: US ZIP codes as coordinates, and great-circle distances.

The coordinates come from the `zipcodes` package, which ships the data (about 43,000 US
ZIP codes); they are folded into a dict on first use (~0.5 s) and looked up in O(1)
after that. The routing snapshot warms the table when a pool routes by distance, so no
decision pays for the loading.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cache
from typing import Any

import zipcodes

Point = tuple[float, float]  # (latitude, longitude) in degrees
EARTH_RADIUS_KM = 6371.0088  # mean radius


@cache
def _us_zip_points() -> dict[str, Point]:
    return {
        row["zip_code"]: (float(row["lat"]), float(row["long"]))
        for row in zipcodes.list_all()
        if row.get("lat") and row.get("long")
    }


def warm_up() -> None:
    _us_zip_points()


def us_zip_point(postal_code: str) -> Point | None:
    """'10001' or '10001-1234' -> its coordinates; None for anything else."""
    zip5 = (postal_code or "").strip()[:5]
    if len(zip5) != 5 or not zip5.isdigit():
        return None
    return _us_zip_points().get(zip5)


def point(latitude: Any, longitude: Any) -> Point | None:
    """A valid (latitude, longitude) from numbers or numeric text, else None."""
    try:
        lat, lon = float(latitude), float(longitude)
    except (TypeError, ValueError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or math.isnan(lat) or math.isnan(lon):
        return None
    return lat, lon


def place(
    *, country: str, postal_code: str, attributes: Mapping[str, Any] | None = None
) -> Point | None:
    """A lead's location: `attributes.latitude`/`longitude` when given (any country),
    else a US ZIP code."""
    attributes = attributes or {}
    given = point(attributes.get("latitude"), attributes.get("longitude"))
    if given is not None:
        return given
    if country in ("US", "") and postal_code:
        return us_zip_point(postal_code)
    return None


def distance_km(a: Point, b: Point) -> float:
    """Great-circle distance (haversine) in kilometres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))
