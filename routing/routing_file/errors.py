"""Problems found in a routing file, collected so that one run reports all of them."""

from __future__ import annotations

from collections.abc import Iterable


class RoutingFileError(Exception):
    """A routing file that cannot be loaded; `errors` holds one line per problem."""

    def __init__(self, errors: Iterable[str]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


class Problems:
    """An error list that items report to under their own name.

    Every message reads "<where>: <what is wrong>", e.g. "pool 'SMB AEs': has no
    members", so that a manager can find the item in the file without line numbers
    (YAML loses them once parsed).
    """

    def __init__(self) -> None:
        self.errors: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.errors.append(f"{where}: {message}" if where else message)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def __len__(self) -> int:
        return len(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise RoutingFileError(self.errors)
