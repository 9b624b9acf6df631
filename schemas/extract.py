"""pandera models of extract rows: as mapped from a file, and as accepted, rejected or warned."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandera.polars as pa
import polars as pl

from schemas.columns import (
    CATEGORY_CODES,
    CONTRACT_COLUMNS,
    KECAMATAN,
    KELURAHAN,
    REJECTION_REASONS,
    WARNING_KECAMATAN_MISMATCH,
    WARNING_KELURAHAN_TYPO,
)

NIK_PATTERN = r"^\d{16}$"
KODE_KELURAHAN_PATTERN = r"^61\.72\.0[1-5]\.100[1-7]$"
FULL_NIK_RUN = r"\d{16}"


# Each helper returns what pa.Field returns: typed Any so that it fits any column annotation.
def _source_file() -> Any:
    return pa.Field(description="Path of the extract relative to the raw folder, '/' separated.")


def _source_sheet() -> Any:
    return pa.Field(nullable=True, description="Worksheet name (XLSX); null for CSV.")


def _source_row() -> Any:
    return pa.Field(
        ge=1,
        description="Row number as a person sees it: spreadsheet row, or CSV line where it starts.",
    )


def _cell(column: str) -> Any:
    return pa.Field(
        nullable=True,
        description=f"Text of the {column} cell, stripped; null when empty.",
    )


def _no_full_nik(data: pa.PolarsData) -> pl.LazyFrame:
    return data.lazyframe.select(~pl.col(data.key).str.contains(FULL_NIK_RUN).fill_null(False))


class MappedExtract(pa.DataFrameModel):
    """One row of an extract after header mapping; blank and footer rows already left out."""

    source_file: str = _source_file()
    source_sheet: str = _source_sheet()
    source_row: pl.Int64 = _source_row()
    nik: str = _cell("NIK")
    nama: str = _cell("nama")
    tanggal_lahir: str = _cell("tanggal lahir")
    jenis_kelamin: str = _cell("jenis kelamin")
    kelurahan: str = _cell("kelurahan")
    kecamatan: str = _cell("kecamatan")
    kategori: str = _cell("kategori")
    pekerjaan: str = _cell("pekerjaan")
    no_kpj: str = _cell("KPJ")
    tanggal_mulai: str = _cell("tanggal mulai")
    tanggal_akhir: str = _cell("tanggal akhir")

    class Config:
        strict = True


class AcceptedRow(pa.DataFrameModel):
    """One extract row that passed every rule: one enrolment as delivered in one file."""

    source_file: str = _source_file()
    source_sheet: str = _source_sheet()
    source_row: pl.Int64 = _source_row()
    nik: str = pa.Field(str_matches=NIK_PATTERN, description="NIK, cleaned: exactly 16 digits.")
    category: str = pa.Field(
        isin=list(CATEGORY_CODES), description="Category code: pekerja_rentan or sawit_bpu."
    )
    kode_kelurahan: str = pa.Field(
        str_matches=KODE_KELURAHAN_PATTERN,
        description="Kemendagri code of the matched kelurahan, e.g. 61.72.02.1001.",
    )
    start_date: dt.date = pa.Field(description="tanggal_mulai, inside the program window.")
    end_date: dt.date = pa.Field(
        nullable=True, description="tanggal_akhir, not before start_date; null when not given."
    )

    class Config:
        strict = True


class RejectedRow(pa.DataFrameModel):
    """One quarantined extract row with the first reason that applies."""

    source_file: str = _source_file()
    source_sheet: str = _source_sheet()
    source_row: pl.Int64 = _source_row()
    reason: str = pa.Field(
        isin=list(REJECTION_REASONS), description="Rejection reason code, contract order."
    )
    message: str = pa.Field(
        description="What is wrong and what to fix, in Bahasa Indonesia; NIK masked."
    )
    column: str = pa.Field(isin=list(CONTRACT_COLUMNS), description="Contract column at fault.")
    nik_masked: str = pa.Field(
        nullable=True,
        description="NIK as written, masked like 6172********0001; null when empty.",
    )

    class Config:
        strict = True

    @pa.check("message", "nik_masked", name="no_full_nik")
    def no_full_nik(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Allow no run of 16 digits."""
        return _no_full_nik(data)


class RowWarning(pa.DataFrameModel):
    """A remark on an accepted row: the row is kept as read."""

    source_file: str = _source_file()
    source_sheet: str = _source_sheet()
    source_row: pl.Int64 = _source_row()
    warning: str = pa.Field(
        isin=[WARNING_KELURAHAN_TYPO, WARNING_KECAMATAN_MISMATCH],
        description="kelurahan_typo (matched within one typo) or kecamatan_mismatch "
        "(kecamatan disagrees with the matched kelurahan; the kelurahan wins).",
    )
    column: str = pa.Field(isin=[KELURAHAN, KECAMATAN], description="Contract column concerned.")
    message: str = pa.Field(description="The remark in Bahasa Indonesia.")

    class Config:
        strict = True

    @pa.check("message", name="no_full_nik")
    def no_full_nik(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Allow no run of 16 digits."""
        return _no_full_nik(data)
