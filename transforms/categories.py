"""Read the kategori column as a category code."""

from __future__ import annotations

import polars as pl

from schemas.columns import CATEGORY_LABELS


def category_key(expr: pl.Expr) -> pl.Expr:
    """Reduce a written category to lower-case letters and digits only."""
    return expr.str.to_lowercase().str.replace_all(r"[^\p{L}\p{N}]", "")


def _label_keys() -> dict[str, str]:
    return {
        "".join(char for char in label.lower() if char.isalnum()): code
        for code, labels in CATEGORY_LABELS.items()
        for label in labels
    }


def normalise_category(expr: pl.Expr) -> pl.Expr:
    """Map a written category to its code, or null when it is not recognised.

    Case, spaces and punctuation are ignored: "P.R." reads as "pr", "Pekerja Sawit (BPU)"
    as "pekerja sawit bpu".
    """
    return category_key(expr).replace_strict(_label_keys(), default=None, return_dtype=pl.String)
