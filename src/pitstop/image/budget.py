"""A size budget for an image, and its verdict.

Sizes are read by `pitstop.units.parse_size`: `GB` is 10^9 bytes (as `docker images` and
pitstop's other sizes count), `GiB` is 2^30; `1GB`, `1.5 GB`, `500MiB` and a bare byte count
are accepted. The budget applies to the image's uncompressed bytes (the layers' tars, as
they take disk space once pulled), or with `added` to the part above the base's layers.
"""

from __future__ import annotations

from dataclasses import dataclass

from pitstop.errors import PitstopError
from pitstop.image.base import BaseBoundary
from pitstop.image.records import (
    BudgetVerdict as BudgetVerdict,
)
from pitstop.units import parse_size


@dataclass(frozen=True, slots=True)
class Budget:
    limit: int  # bytes
    added: bool = False  # on the bytes above the base, not the whole image


def parse_budget(text: str, *, added: bool = False) -> Budget:
    """`--budget 1GB`; a PitstopError (exit 2) for what is not a size."""
    try:
        limit = parse_size(text)
    except ValueError as error:
        raise PitstopError(f"--budget: {error}") from None
    return Budget(limit, added)


def judge(budget: Budget, total: int, added: int | None, base: BaseBoundary) -> BudgetVerdict:
    """The verdict on `total` uncompressed bytes, or on `added` with `budget.added`."""
    if not budget.added:
        return BudgetVerdict(budget.limit, False, total, total > budget.limit)
    if added is None:
        unknown = f"the bytes the Dockerfile added are unknown: {base.reason}"
        return BudgetVerdict(budget.limit, True, None, None, unknown)
    assumption = base.reason if base.assumed else None
    over = added > budget.limit
    return BudgetVerdict(budget.limit, True, added, over, assumption, base.assumed)
