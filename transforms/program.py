"""The program's rules as plain values, passed into every transform that needs them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Category:
    """One category of participants the city pays for."""

    code: str
    label: str
    target: int
    months: int


@dataclass(frozen=True)
class ProgramRules:
    """Targets, durations, premium and the accepted start-date window."""

    launch_date: date
    start_date_min: date
    start_date_max: date
    monthly_premium_idr: int
    categories: tuple[Category, ...]

    def category(self, code: str) -> Category:
        for category in self.categories:
            if category.code == code:
                return category
        raise KeyError(code)

    @property
    def months_by_category(self) -> dict[str, int]:
        return {category.code: category.months for category in self.categories}


# Bump when a validation or statistics rule changes: cached per-file results of another
# version are not reused.
RULES_VERSION = "1"
