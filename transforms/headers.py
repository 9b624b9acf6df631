"""Match the header texts of an extract to the contract's columns."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from schemas.columns import COLUMN_ALIASES, REQUIRED_COLUMNS

# White space (line breaks of wrapped cells included), zero-width marks, dots, underscores,
# slashes and hyphens carry no meaning in a header.
_IGNORED_IN_HEADER = re.compile(r"[\s\u200b-\u200d\ufeff._/\\-]+")


def normalise_header(text: str | None) -> str:
    """Return the header text folded to the form the contract's aliases are compared in."""
    if text is None:
        return ""
    return _IGNORED_IN_HEADER.sub("", text).casefold()


_ALIAS_TO_COLUMN: dict[str, str] = {
    normalise_header(alias): column
    for column, aliases in COLUMN_ALIASES.items()
    for alias in aliases
}


@dataclass(frozen=True)
class HeaderMapping:
    """Where each contract column sits in a header row, and what is wrong with the row."""

    columns: dict[str, int] = field(default_factory=dict)
    ambiguous: list[tuple[str, str, str]] = field(default_factory=list)
    missing: tuple[str, ...] = ()

    @property
    def is_usable(self) -> bool:
        """Tell whether the row carries every required column without ambiguity."""
        return not self.missing and not self.ambiguous


def column_for_header(text: str | None) -> str | None:
    """Return the contract column a header text names, or None for an unknown header."""
    return _ALIAS_TO_COLUMN.get(normalise_header(text))


def map_headers(headers: Sequence[str | None]) -> HeaderMapping:
    """Map header texts to contract columns by position; report clashes and missing columns."""
    columns: dict[str, int] = {}
    ambiguous: list[tuple[str, str, str]] = []
    for position, text in enumerate(headers):
        column = column_for_header(text)
        if column is None:
            continue
        if column in columns:
            first = headers[columns[column]] or ""
            ambiguous.append((column, first, text or ""))
            continue
        columns[column] = position
    missing = tuple(column for column in REQUIRED_COLUMNS if column not in columns)
    return HeaderMapping(columns=columns, ambiguous=ambiguous, missing=missing)


def carries_required_columns(row: Sequence[str | None]) -> bool:
    """Tell whether a row names every required column."""
    found = {column_for_header(text) for text in row}
    return all(column in found for column in REQUIRED_COLUMNS)


def find_header_row(rows: Sequence[Sequence[str | None]]) -> int | None:
    """Return the index of the first row that carries all required columns, or None."""
    for index, row in enumerate(rows):
        if carries_required_columns(row):
            return index
    return None
