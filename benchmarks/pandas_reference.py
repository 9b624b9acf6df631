"""A straightforward pandas implementation of the job: raw CSV deliveries to coverage_monthly.

It applies the same rules as the floor query (benchmarks/floor.sql) and as far as the
benchmark data needs them: header aliases, NIK cleaning and checks, category labels,
kelurahan by exact normalised name or alias, ISO and day-first dates, the start-date
window, end dates, the first row per NIK and category within a file, and the latest
delivery (date in the file name, then path) per NIK and category.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pandas as pd

from schemas.columns import (
    CATEGORY_LABELS,
    COLUMN_ALIASES,
    KATEGORI,
    KELURAHAN,
    NIK,
    TANGGAL_AKHIR,
    TANGGAL_MULAI,
)

COLUMNS = (NIK, KELURAHAN, KATEGORI, TANGGAL_MULAI, TANGGAL_AKHIR)
_IGNORED_IN_HEADER = re.compile(r"[\s\u200b-\u200d\ufeff._/\\-]+")
_NAME_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")


def _header_key(text: str) -> str:
    return _IGNORED_IN_HEADER.sub("", text).casefold()


ALIASES = {
    _header_key(alias): column
    for column, aliases in COLUMN_ALIASES.items()
    if column in COLUMNS
    for alias in aliases
}
LABELS = {
    "".join(char for char in label.lower() if char.isalnum()): code
    for code, labels in CATEGORY_LABELS.items()
    for label in labels
}


def normalise_places(names: pd.Series) -> pd.Series:
    """Lower-case, punctuation to spaces, Sei/Sui/Sg as Sungai, leading Kel/Desa dropped."""
    words = (
        names.str.lower()
        .str.replace(r"[\W_]+", " ", regex=True)
        .str.strip()
        .str.replace(r"\b(sei|sui|sg)\b", "sungai", regex=True)
    )
    return words.str.replace(r"^((kel|kelurahan|desa) )+", "", regex=True)


def read_deliveries(files: list[Path], raw_dir: Path) -> pd.DataFrame:
    """Read the contract columns of every delivery, with each file's delivery order."""

    def order(path: Path) -> tuple[str, str]:
        found = _NAME_DATE.search(path.name)
        return (found.group(1) if found else "", path.relative_to(raw_dir).as_posix())

    frames = []
    for rank, path in enumerate(sorted(files, key=order), start=1):
        frame = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            usecols=lambda header: _header_key(header) in ALIASES,
        )
        frame = frame.rename(columns=lambda header: ALIASES[_header_key(header)])
        frame = frame.reindex(columns=list(COLUMNS))
        frame["source_file"] = path.name
        frame["delivery_rank"] = rank
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def parse_dates(texts: pd.Series) -> pd.Series:
    """Parse ISO or day-first dates; anything else (or no such day) becomes NaT."""
    iso = pd.to_datetime(texts, format="%Y-%m-%d", errors="coerce")
    day_first = pd.to_datetime(texts, format="%d/%m/%Y", errors="coerce")
    return iso.fillna(day_first)


def coverage_monthly(
    files: list[Path],
    raw_dir: Path,
    reference_dir: Path,
    months_by_category: dict[str, int],
    start_min: date,
    start_max: date,
) -> pd.DataFrame:
    """Compute mart.coverage_monthly from the deliveries with pandas."""
    kelurahan = pd.read_csv(reference_dir / "kelurahan_singkawang.csv", dtype=str)
    aliases = pd.read_csv(reference_dir / "kelurahan_aliases.csv", dtype=str)
    codes = dict(zip(normalise_places(aliases["alias"]), aliases["kode_kelurahan"], strict=True))
    codes.update(
        zip(normalise_places(kelurahan["kelurahan"]), kelurahan["kode_kelurahan"], strict=True)
    )

    rows = read_deliveries(files, raw_dir)
    nik = rows[NIK].str.replace(r"\s", "", regex=True).str.replace(r"^['’]", "", regex=True)
    day = pd.to_numeric(nik.str.slice(6, 8), errors="coerce")
    month = pd.to_numeric(nik.str.slice(8, 10), errors="coerce")
    rows["nik"] = nik
    rows["category"] = rows[KATEGORI].str.lower().str.replace(r"[\W_]", "", regex=True).map(LABELS)
    rows["kode_kelurahan"] = normalise_places(rows[KELURAHAN]).map(codes)
    rows["start_date"] = parse_dates(rows[TANGGAL_MULAI])
    rows["end_date"] = parse_dates(rows[TANGGAL_AKHIR])
    accepted = (
        nik.str.fullmatch(r"\d{16}").fillna(False).astype(bool)
        & month.between(1, 12)
        & (day.between(1, 31) | day.between(41, 71))
        & rows["category"].notna()
        & rows["kode_kelurahan"].notna()
        & rows["start_date"].between(pd.Timestamp(start_min), pd.Timestamp(start_max))
        & (rows[TANGGAL_AKHIR].isna() | rows["end_date"].notna())
        & ~(rows["end_date"] < rows["start_date"])
    )
    enrolments = (
        rows[accepted]
        .drop_duplicates(["source_file", "nik", "category"], keep="first")
        .sort_values("delivery_rank", kind="stable")
        .drop_duplicates(["nik", "category"], keep="last")
    )

    start = enrolments["start_date"]
    end = enrolments["end_date"]
    full = enrolments["category"].map(months_by_category)
    until_end = (end.dt.year - start.dt.year) * 12 + end.dt.month - start.dt.month + 1
    enrolments = enrolments.assign(
        coverage_start_month=start.dt.to_period("M").dt.to_timestamp(),
        coverage_months=full.where(end.isna(), until_end.clip(upper=full)).astype("int64"),
    )
    grouped = (
        enrolments.groupby(
            ["category", "kode_kelurahan", "coverage_start_month", "coverage_months"]
        )
        .size()
        .rename("participants")
        .reset_index()
    )
    grouped["month_offset"] = grouped["coverage_months"].map(range)
    spread = grouped.explode("month_offset")
    spread["coverage_month"] = [
        month_start + pd.DateOffset(months=int(offset))
        for month_start, offset in zip(
            spread["coverage_start_month"], spread["month_offset"], strict=True
        )
    ]
    counted = (
        spread.groupby(["category", "kode_kelurahan", "coverage_month"])["participants"]
        .sum()
        .reset_index()
        .merge(
            kelurahan[["kode_kelurahan", "kelurahan", "kode_kecamatan", "kecamatan"]],
            on="kode_kelurahan",
        )
    )
    counted["coverage_month"] = counted["coverage_month"].dt.date
    counted["participants"] = counted["participants"].astype("int64")
    return counted.sort_values(["category", "kode_kelurahan", "coverage_month"])[
        [
            "category",
            "kode_kelurahan",
            "kelurahan",
            "kode_kecamatan",
            "kecamatan",
            "coverage_month",
            "participants",
        ]
    ].reset_index(drop=True)
