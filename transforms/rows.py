"""Apply the contract's row rules: accept a row, or quarantine it with one reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import polars as pl

from schemas.columns import (
    CATEGORY_UNKNOWN,
    DUPLICATE_IN_FILE,
    END_BEFORE_START,
    END_DATE_INVALID,
    KATEGORI,
    KECAMATAN,
    KELURAHAN,
    KELURAHAN_UNKNOWN,
    NIK,
    NIK_INVALID,
    NIK_MISSING,
    REASON_COLUMN,
    REJECTION_REASONS,
    SOURCE_FILE,
    SOURCE_ROW,
    SOURCE_SHEET,
    START_DATE_INVALID,
    START_DATE_MISSING,
    START_DATE_OUT_OF_RANGE,
    TANGGAL_AKHIR,
    TANGGAL_MULAI,
    WARNING_KECAMATAN_MISMATCH,
    WARNING_KELURAHAN_TYPO,
)
from transforms.categories import normalise_category
from transforms.dates import date_follows_rule, parse_contract_date
from transforms.kelurahan import (
    KECAMATAN_MISMATCH,
    KELURAHAN_TYPO,
    KODE_KELURAHAN,
    KelurahanReference,
    kelurahan_matches,
)
from transforms.nik import (
    clean_nik,
    mask_digit_runs_expr,
    mask_nik,
    nik_day_is_valid,
    nik_has_sixteen_digits,
    nik_is_scientific_notation,
    nik_is_valid,
    nik_month_is_valid,
)
from transforms.program import ProgramRules

if TYPE_CHECKING:
    from polars.expr.whenthen import ChainedThen, Then

CATEGORY = "category"
START_DATE = "start_date"
END_DATE = "end_date"
REASON = "reason"
MESSAGE = "message"
COLUMN = "column"
NIK_MASKED = "nik_masked"
WARNING = "warning"

ACCEPTED_COLUMNS = (
    SOURCE_FILE,
    SOURCE_SHEET,
    SOURCE_ROW,
    NIK,
    CATEGORY,
    KODE_KELURAHAN,
    START_DATE,
    END_DATE,
)
REJECTED_COLUMNS = (SOURCE_FILE, SOURCE_SHEET, SOURCE_ROW, REASON, MESSAGE, COLUMN, NIK_MASKED)
WARNING_COLUMNS = (SOURCE_FILE, SOURCE_SHEET, SOURCE_ROW, WARNING, COLUMN, MESSAGE)

_ORDER = "_order"
_NIK = "_nik"
_NIK_VALID = "_nik_valid"
_START_FOLLOWS_RULE = "_start_follows_rule"
_END_FOLLOWS_RULE = "_end_follows_rule"
_FIRST_SHEET = "_first_sheet"
_FIRST_ROW = "_first_row"
_QUOTE_LIMIT = 60
_DATE_HINT = "format HH/BB/TTTT"
# Until the rejected rows are written, a row's reason is its position in the contract's
# order: small numbers are cheaper to choose and compare than texts.
_REASONS = REJECTION_REASONS
_REASON_CODE = pl.UInt8
# A NIK of 16 plain digits holds no white space and no apostrophe: cleaning leaves it as is.
_PLAIN_NIK = r"^[0-9]{16}$"


@dataclass(frozen=True)
class ValidatedRows:
    """Rows that passed every rule, rows quarantined with their reason, and kept-row warnings."""

    accepted: pl.DataFrame
    rejected: pl.DataFrame
    warnings: pl.DataFrame


def _distinct_map(rows: pl.DataFrame, column: str, **outputs: pl.Expr) -> pl.DataFrame:
    """Compute outputs once per distinct value of a column, to be mapped back with _mapped."""
    return rows.select(column).unique().with_columns(**outputs)


def _mapped(column: str, lookup: pl.DataFrame, output: str) -> pl.Expr:
    """Return a distinct map's output for every row, from the row's value of column.

    The map holds every value of the column, null included, so no row falls to the default.
    """
    return (
        pl.col(column)
        .replace_strict(
            lookup.get_column(column),
            lookup.get_column(output),
            default=None,
            return_dtype=lookup.schema[output],
        )
        .alias(output)
    )


def _category_map(rows: pl.DataFrame, rules: ProgramRules) -> pl.DataFrame:
    codes = [category.code for category in rules.categories]
    code = normalise_category(pl.col(KATEGORI))
    return _distinct_map(rows, KATEGORI, **{CATEGORY: pl.when(code.is_in(codes)).then(code)})


def _date_map(rows: pl.DataFrame, column: str, parsed: str, follows_rule: str) -> pl.DataFrame:
    return _distinct_map(
        rows,
        column,
        **{
            parsed: parse_contract_date(pl.col(column)),
            follows_rule: date_follows_rule(pl.col(column)),
        },
    )


def _reason_code(reason: str) -> pl.Expr:
    return pl.lit(_REASONS.index(reason), dtype=_REASON_CODE)


def _first_reason(rules: ProgramRules) -> pl.Expr:
    """Return the code of the first rejection reason that applies, before duplicates."""
    start, end = pl.col(START_DATE), pl.col(END_DATE)
    checks = (
        (NIK_MISSING, pl.col(_NIK).is_null()),
        (NIK_INVALID, ~pl.col(_NIK_VALID)),
        (CATEGORY_UNKNOWN, pl.col(CATEGORY).is_null()),
        (KELURAHAN_UNKNOWN, pl.col(KODE_KELURAHAN).is_null()),
        (START_DATE_MISSING, pl.col(TANGGAL_MULAI).is_null()),
        (START_DATE_INVALID, start.is_null()),
        (START_DATE_OUT_OF_RANGE, ~start.is_between(rules.start_date_min, rules.start_date_max)),
        (END_DATE_INVALID, pl.col(TANGGAL_AKHIR).is_not_null() & end.is_null()),
        (END_BEFORE_START, end < start),
    )
    chain: Then | ChainedThen = pl.when(checks[0][1]).then(_reason_code(checks[0][0]))
    for reason, failed in checks[1:]:
        chain = chain.when(failed.fill_null(False)).then(_reason_code(reason))
    return chain.otherwise(pl.lit(None, dtype=_REASON_CODE))


def _duplicate_reason(one_file: bool) -> pl.Expr:
    """Return duplicate_in_file for a passing row whose file, NIK and category came earlier.

    Rejected rows share one null key, so they never count as the first of a group. When
    every row comes from one file, the file adds nothing to the key and is left out.
    """
    passed = pl.col(REASON).is_null()
    key_columns = (_NIK, CATEGORY) if one_file else (SOURCE_FILE, _NIK, CATEGORY)
    key = pl.when(passed).then(pl.struct(*key_columns))
    return (
        pl.when(passed & ~key.is_first_distinct())
        .then(_reason_code(DUPLICATE_IN_FILE))
        .otherwise(pl.col(REASON))
    )


def _reason_text(code: pl.Expr) -> pl.Expr:
    """Return the reason written out for a reason code."""
    return code.replace_strict(
        list(range(len(_REASONS))), list(_REASONS), default=None, return_dtype=pl.String
    )


def _quoted(column: str) -> pl.Expr:
    """Return a cell's text for a message: long digit runs masked, long text shortened."""
    text = mask_digit_runs_expr(pl.col(column))
    short = (
        pl.when(text.str.len_chars() > _QUOTE_LIMIT)
        .then(pl.concat_str(text.str.slice(0, _QUOTE_LIMIT - 3), pl.lit("...")))
        .otherwise(text)
    )
    return pl.concat_str(pl.lit("'"), short, pl.lit("'"))


def _text(*parts: str | pl.Expr) -> pl.Expr:
    return pl.concat_str([pl.lit(p) if isinstance(p, str) else p for p in parts])


def _nik_invalid_message() -> pl.Expr:
    nik = pl.col(_NIK)
    masked = pl.concat_str(pl.lit("'"), pl.col(NIK_MASKED), pl.lit("'"))
    fix = " Periksa NIK sesuai KTP (16 angka)."
    return (
        pl.when(nik_is_scientific_notation(nik))
        .then(
            _text(
                "NIK ",
                masked,
                " tertulis dalam notasi ilmiah, sehingga angkanya sudah hilang."
                " Ubah format kolom NIK menjadi teks, lalu ketik ulang 16 angka NIK sesuai KTP.",
            )
        )
        .when(nik.str.contains(r"\D"))
        .then(_text("NIK ", masked, " mengandung karakter selain angka.", fix))
        .when(~nik_has_sixteen_digits(nik))
        .then(
            _text(
                "NIK ",
                masked,
                " terdiri dari ",
                nik.str.len_chars().cast(pl.String),
                " angka, seharusnya 16 angka.",
                fix,
            )
        )
        .when(~nik_month_is_valid(nik))
        .then(
            _text(
                "NIK ",
                masked,
                " tidak valid: angka bulan lahir (digit ke-9 dan ke-10) harus 01-12.",
                fix,
            )
        )
        .when(~nik_day_is_valid(nik))
        .then(
            _text(
                "NIK ",
                masked,
                " tidak valid: angka tanggal lahir (digit ke-7 dan ke-8) harus 01-31,"
                " atau 41-71 untuk perempuan.",
                fix,
            )
        )
        .otherwise(_text("NIK ", masked, " tidak valid.", fix))
    )


def _date_text(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _date_invalid_message(column: str, follows_rule: str, label: str, fix: str) -> pl.Expr:
    return (
        pl.when(pl.col(follows_rule))
        .then(_text(label, " ", _quoted(column), f" bukan tanggal yang ada. {fix}"))
        .otherwise(_text(label, " ", _quoted(column), f" tidak dikenali sebagai tanggal. {fix}"))
    )


def _duplicate_message() -> pl.Expr:
    where = (
        pl.when(pl.col(_FIRST_SHEET).is_not_null())
        .then(_text(" lembar ", _quoted(_FIRST_SHEET)))
        .otherwise(pl.lit(""))
    )
    return _text(
        "NIK ",
        pl.concat_str(pl.lit("'"), pl.col(NIK_MASKED), pl.lit("'")),
        " dengan kategori ",
        _quoted(KATEGORI),
        " sudah tercatat di baris ",
        pl.col(_FIRST_ROW).cast(pl.String),
        where,
        " file ini. Hapus baris ganda ini, atau gabungkan datanya ke baris tersebut.",
    )


def _empty_or(column: str, empty: str, written: pl.Expr) -> pl.Expr:
    return pl.when(pl.col(column).is_null()).then(pl.lit(empty)).otherwise(written)


def _rejection_messages(rules: ProgramRules) -> dict[str, pl.Expr]:
    """Return, per reason, the message saying what is wrong and what to fix."""
    labels = "; ".join(f"'{category.label}'" for category in rules.categories)
    window = f"{_date_text(rules.start_date_min)} s.d. {_date_text(rules.start_date_max)}"
    return {
        NIK_MISSING: pl.lit("NIK kosong. Isi NIK peserta (16 angka sesuai KTP)."),
        NIK_INVALID: _nik_invalid_message(),
        CATEGORY_UNKNOWN: _empty_or(
            KATEGORI,
            f"Kategori kosong. Isi salah satu kategori: {labels}.",
            _text("Kategori ", _quoted(KATEGORI), f" tidak dikenali. Isi salah satu: {labels}."),
        ),
        KELURAHAN_UNKNOWN: _empty_or(
            KELURAHAN,
            "Kelurahan kosong. Isi nama kelurahan peserta di Kota Singkawang.",
            _text(
                "Kelurahan ",
                _quoted(KELURAHAN),
                " tidak ditemukan di Kota Singkawang."
                " Perbaiki nama kelurahan sesuai daftar kelurahan resmi Kota Singkawang.",
            ),
        ),
        START_DATE_MISSING: pl.lit(
            f"Tanggal mulai kosong. Isi tanggal kepesertaan ({_DATE_HINT})."
        ),
        START_DATE_INVALID: _date_invalid_message(
            TANGGAL_MULAI,
            _START_FOLLOWS_RULE,
            "Tanggal mulai",
            f"Perbaiki tanggal kepesertaan ({_DATE_HINT}).",
        ),
        START_DATE_OUT_OF_RANGE: _text(
            "Tanggal mulai ",
            _quoted(TANGGAL_MULAI),
            f" di luar masa program ({window}). Periksa tanggal kepesertaan.",
        ),
        END_DATE_INVALID: _date_invalid_message(
            TANGGAL_AKHIR,
            _END_FOLLOWS_RULE,
            "Tanggal akhir",
            f"Perbaiki tanggal akhir ({_DATE_HINT}) atau kosongkan.",
        ),
        END_BEFORE_START: _text(
            "Tanggal akhir ",
            _quoted(TANGGAL_AKHIR),
            " lebih awal dari tanggal mulai ",
            _quoted(TANGGAL_MULAI),
            ". Perbaiki salah satu tanggal.",
        ),
        DUPLICATE_IN_FILE: _duplicate_message(),
    }


def _with_first_rows(duplicates: pl.DataFrame, checked: pl.DataFrame) -> pl.DataFrame:
    """Add, to each duplicate, the sheet and row of the kept row it repeats."""
    key = [SOURCE_FILE, _NIK, CATEGORY]
    repeated = duplicates.get_column(_NIK).unique()
    firsts = (
        checked.lazy()
        .select(*key, SOURCE_SHEET, SOURCE_ROW, REASON)
        .filter(pl.col(REASON).is_null() & pl.col(_NIK).is_in(repeated.implode()))
        .collect()
        .join(duplicates.select(key).unique(), on=key, how="semi")
        .select(
            *key, pl.col(SOURCE_SHEET).alias(_FIRST_SHEET), pl.col(SOURCE_ROW).alias(_FIRST_ROW)
        )
    )
    return duplicates.join(firsts, on=key, how="left", maintain_order="left")


def _rejected(checked: pl.DataFrame, rules: ProgramRules) -> pl.DataFrame:
    """Return the rejected rows with message, column at fault and masked NIK, in row order."""
    messages = _rejection_messages(rules)
    rejected = (
        checked.lazy()
        .filter(pl.col(REASON).is_not_null())
        .with_columns(_reason_text(pl.col(REASON)))
        .collect()
    )
    parts = [
        (_with_first_rows(part, checked) if reason == DUPLICATE_IN_FILE else part)
        .with_columns(mask_nik(pl.col(_NIK)).alias(NIK_MASKED))
        .with_columns(
            messages[reason].alias(MESSAGE),
            pl.lit(REASON_COLUMN[reason]).alias(COLUMN),
        )
        .select(_ORDER, *REJECTED_COLUMNS)
        for (reason,), part in rejected.partition_by(REASON, as_dict=True).items()
    ]
    schema = {**dict.fromkeys(REJECTED_COLUMNS, pl.String), SOURCE_ROW: pl.Int64, _ORDER: pl.UInt32}
    if not parts:
        return pl.DataFrame(schema=schema).select(REJECTED_COLUMNS)
    return pl.concat(parts).sort(_ORDER).select(REJECTED_COLUMNS)


def _warnings(checked: pl.DataFrame, reference: KelurahanReference) -> pl.DataFrame:
    """Return a warning per typo match and per kecamatan mismatch of an accepted row."""
    official = reference.kelurahan.select(
        KODE_KELURAHAN,
        pl.col(KELURAHAN).alias("_official_kelurahan"),
        pl.col(KECAMATAN).alias("_official_kecamatan"),
    )
    flagged = (
        checked.lazy()
        .filter(pl.col(REASON).is_null() & (pl.col(KELURAHAN_TYPO) | pl.col(KECAMATAN_MISMATCH)))
        .select(
            _ORDER,
            *(SOURCE_FILE, SOURCE_SHEET, SOURCE_ROW),
            *(KELURAHAN, KECAMATAN, KODE_KELURAHAN, KELURAHAN_TYPO, KECAMATAN_MISMATCH),
        )
        .collect()
        .join(official, on=KODE_KELURAHAN, how="left", maintain_order="left")
    )
    kelurahan_resmi = _text("'", pl.col("_official_kelurahan"), "'")
    typos = flagged.filter(pl.col(KELURAHAN_TYPO)).select(
        _ORDER,
        *(SOURCE_FILE, SOURCE_SHEET, SOURCE_ROW),
        pl.lit(WARNING_KELURAHAN_TYPO).alias(WARNING),
        pl.lit(KELURAHAN).alias(COLUMN),
        _text(
            "Kelurahan ",
            _quoted(KELURAHAN),
            " dibaca sebagai ",
            kelurahan_resmi,
            " (salah ketik?). Perbaiki ejaannya pada kiriman berikutnya.",
        ).alias(MESSAGE),
    )
    mismatches = flagged.filter(pl.col(KECAMATAN_MISMATCH)).select(
        _ORDER,
        *(SOURCE_FILE, SOURCE_SHEET, SOURCE_ROW),
        pl.lit(WARNING_KECAMATAN_MISMATCH).alias(WARNING),
        pl.lit(KECAMATAN).alias(COLUMN),
        _text(
            "Kecamatan ",
            _quoted(KECAMATAN),
            " tidak sesuai dengan kelurahan ",
            kelurahan_resmi,
            ", yang termasuk Kecamatan ",
            pl.col("_official_kecamatan"),
            ". Kelurahan yang dipakai; periksa kecamatannya.",
        ).alias(MESSAGE),
    )
    return pl.concat([typos, mismatches]).sort(_ORDER, WARNING).select(WARNING_COLUMNS)


def _cleaned_nik(nik: pl.Series) -> pl.Series:
    """Return clean_nik of every NIK, computed only for those not already 16 plain digits."""
    unclean = nik.str.contains(_PLAIN_NIK).not_().arg_true()
    cleaned = nik.gather(unclean).to_frame().select(clean_nik(pl.col(nik.name))).to_series()
    return nik.clone().scatter(unclean, cleaned).alias(_NIK)


def _from_one_file(rows: pl.DataFrame) -> bool:
    """Tell whether every row carries the same source file."""
    files = rows.get_column(SOURCE_FILE)
    return files.null_count() == 0 and (rows.height == 0 or bool((files == files[0]).all()))


def _checked(
    rows: pl.DataFrame, reference: KelurahanReference, rules: ProgramRules
) -> pl.DataFrame:
    """Return every row with its cleaned values and its rejection reason code (null if kept)."""
    categories = _category_map(rows, rules)
    starts = _date_map(rows, TANGGAL_MULAI, START_DATE, _START_FOLLOWS_RULE)
    ends = _date_map(rows, TANGGAL_AKHIR, END_DATE, _END_FOLLOWS_RULE)
    places = kelurahan_matches(rows, reference)
    frame = pl.concat([rows.with_row_index(_ORDER), places], how="horizontal")
    return (
        frame.lazy()
        .with_columns(
            pl.col(SOURCE_SHEET).cast(pl.String),
            pl.lit(_cleaned_nik(rows.get_column(NIK))),
            _mapped(KATEGORI, categories, CATEGORY),
            _mapped(TANGGAL_MULAI, starts, START_DATE),
            _mapped(TANGGAL_MULAI, starts, _START_FOLLOWS_RULE),
            _mapped(TANGGAL_AKHIR, ends, END_DATE),
            _mapped(TANGGAL_AKHIR, ends, _END_FOLLOWS_RULE),
        )
        .with_columns(nik_is_valid(pl.col(_NIK)).alias(_NIK_VALID))
        .with_columns(_first_reason(rules).alias(REASON))
        .with_columns(_duplicate_reason(_from_one_file(rows)).alias(REASON))
        .collect()
    )


def validate_rows(
    rows: pl.DataFrame, reference: KelurahanReference, rules: ProgramRules
) -> ValidatedRows:
    """Split mapped extract rows into accepted rows and rejected rows, plus warnings.

    Each rejected row carries the first reason that applies in contract order, a message
    in Bahasa Indonesia with the NIK masked, and the contract column at fault. Warnings
    concern accepted rows only. Row order follows the input.
    """
    checked = _checked(rows, reference, rules)
    accepted = (
        checked.lazy()
        .filter(pl.col(REASON).is_null())
        .select(
            *(SOURCE_FILE, SOURCE_SHEET, SOURCE_ROW),
            pl.col(_NIK).alias(NIK),
            *(CATEGORY, KODE_KELURAHAN, START_DATE, END_DATE),
        )
        .collect()
    )
    return ValidatedRows(
        accepted=accepted,
        rejected=_rejected(checked, rules),
        warnings=_warnings(checked, reference),
    )
