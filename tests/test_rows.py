"""The contract's row rules: accepted rows, rejected rows with one reason, and warnings."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.columns import CONTRACT_COLUMNS, REASON_COLUMN, REJECTION_REASONS
from schemas.extract import AcceptedRow, MappedExtract, RejectedRow, RowWarning
from tests.conftest import DEFAULT_RULES
from transforms.kelurahan import KelurahanReference
from transforms.program import ProgramRules
from transforms.rows import validate_rows

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "data" / "reference"
NIK_A = "6172010101900001"
NIK_B = "6172015508850002"

RULES = DEFAULT_RULES
SCHEMA = {
    "source_file": pl.String,
    "source_sheet": pl.String,
    "source_row": pl.Int64,
    **dict.fromkeys(CONTRACT_COLUMNS, pl.String),
}


@pytest.fixture(scope="module")
def reference() -> KelurahanReference:
    return KelurahanReference(
        kelurahan=pl.read_csv(REFERENCE_DIR / "kelurahan_singkawang.csv", infer_schema=False),
        aliases=pl.read_csv(REFERENCE_DIR / "kelurahan_aliases.csv", infer_schema=False),
    )


def good_row(**changes: str | None) -> dict[str, str | None]:
    """Return the cells of a row that passes every rule, with some cells changed."""
    row = dict.fromkeys(CONTRACT_COLUMNS)
    row.update(
        nik=NIK_A,
        nama="Siti Aminah",
        kelurahan="Pasiran",
        kecamatan="Singkawang Barat",
        kategori="Pekerja Rentan",
        tanggal_mulai="15/12/2025",
    )
    row.update(changes)
    return row


def extract(*rows: dict, source_file: str = "2025-12-20_kiriman.csv", sheet=None) -> pl.DataFrame:
    """Return a mapped extract of the given rows, numbered from spreadsheet row 2."""
    return pl.DataFrame(
        [
            {"source_file": source_file, "source_sheet": sheet, "source_row": i + 2, **row}
            for i, row in enumerate(rows)
        ],
        schema=SCHEMA,
    )


def check_outputs(validated, read: pl.DataFrame) -> None:
    """Validate every output against its model and the accepted + rejected = read rule."""
    MappedExtract.validate(read, lazy=True)
    AcceptedRow.validate(validated.accepted, lazy=True)
    RejectedRow.validate(validated.rejected, lazy=True)
    RowWarning.validate(validated.warnings, lazy=True)
    assert validated.accepted.height + validated.rejected.height == read.height


def reasons(validated) -> list[str]:
    return validated.rejected["reason"].to_list()


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"nik": "'6172 0101 0190 0001"},
        {"nik": NIK_B},
        {"kategori": "sawit"},
        {"kategori": "P.R."},
        {"kelurahan": "Kel. Sei Wie", "kecamatan": None},
        {"kelurahan": "Mayasopa", "kecamatan": "Singkawang Timur"},
        {"kelurahan": "Pasirn"},
        {"tanggal_mulai": "2025-12-15 00:00:00"},
        {"tanggal_mulai": "15 Des 2025"},
        {"tanggal_mulai": "1.1.2025"},
        {"tanggal_mulai": "31/12/2026"},
        {"tanggal_akhir": "30 April 2026"},
        {"tanggal_akhir": "15/12/2025"},
        {"nama": None, "tanggal_lahir": None, "jenis_kelamin": None, "no_kpj": None},
    ],
)
def test_rows_within_the_rules_are_accepted(reference, changes):
    read = extract(good_row(**changes))
    validated = validate_rows(read, reference, RULES)
    check_outputs(validated, read)
    assert validated.rejected.height == 0
    assert validated.accepted.height == 1


def test_accepted_row_carries_cleaned_values(reference):
    read = extract(
        good_row(
            nik="'6172 0155 0885 0002",
            kategori="Pekerja Sawit (BPU)",
            kelurahan="Sei Wie",
            tanggal_mulai="3 Januari 2026",
            tanggal_akhir="2026-06-30",
        )
    )
    accepted = validate_rows(read, reference, RULES).accepted
    assert accepted.row(0, named=True) == {
        "source_file": "2025-12-20_kiriman.csv",
        "source_sheet": None,
        "source_row": 2,
        "nik": NIK_B,
        "category": "sawit_bpu",
        "kode_kelurahan": "61.72.01.1006",
        "start_date": date(2026, 1, 3),
        "end_date": date(2026, 6, 30),
    }


@pytest.mark.parametrize(
    ("changes", "reason", "fragment"),
    [
        ({"nik": None}, "nik_missing", "NIK kosong"),
        ({"nik": "'"}, "nik_missing", "NIK kosong"),
        ({"nik": "617201010190001"}, "nik_invalid", "15 angka"),
        ({"nik": "6.17201E+15"}, "nik_invalid", "notasi ilmiah"),
        ({"nik": "6172-0101-0190-0001"}, "nik_invalid", "selain angka"),
        ({"nik": "6172010113900001"}, "nik_invalid", "bulan lahir"),
        ({"nik": "6172013201900001"}, "nik_invalid", "tanggal lahir"),
        ({"kategori": None}, "category_unknown", "Kategori kosong"),
        ({"kategori": "Nelayan"}, "category_unknown", "'Nelayan' tidak dikenali"),
        ({"kelurahan": None}, "kelurahan_unknown", "Kelurahan kosong"),
        ({"kelurahan": "Sekip Baru"}, "kelurahan_unknown", "'Sekip Baru' tidak ditemukan"),
        ({"kelurahan": "Sungai Garam Hulu"}, "kelurahan_unknown", "tidak ditemukan"),
        ({"tanggal_mulai": None}, "start_date_missing", "Tanggal mulai kosong"),
        ({"tanggal_mulai": "31/02/2026"}, "start_date_invalid", "bukan tanggal yang ada"),
        ({"tanggal_mulai": "46006"}, "start_date_invalid", "tidak dikenali sebagai tanggal"),
        ({"tanggal_mulai": "12/15/2025"}, "start_date_invalid", "bukan tanggal yang ada"),
        ({"tanggal_mulai": "31/12/2024"}, "start_date_out_of_range", "di luar masa program"),
        ({"tanggal_mulai": "01/01/2027"}, "start_date_out_of_range", "01/01/2025 s.d. 31/12/2026"),
        ({"tanggal_akhir": "akhir tahun"}, "end_date_invalid", "tidak dikenali sebagai tanggal"),
        ({"tanggal_akhir": "31/04/2026"}, "end_date_invalid", "bukan tanggal yang ada"),
        ({"tanggal_akhir": "14/12/2025"}, "end_before_start", "lebih awal dari tanggal mulai"),
    ],
)
def test_each_rule_rejects_with_its_reason_column_and_message(reference, changes, reason, fragment):
    read = extract(good_row(**changes))
    validated = validate_rows(read, reference, RULES)
    check_outputs(validated, read)
    rejected = validated.rejected.row(0, named=True)
    assert rejected["reason"] == reason
    assert rejected["column"] == REASON_COLUMN[reason]
    assert fragment in rejected["message"]


def test_message_for_a_date_that_does_not_exist_says_what_to_fix(reference):
    validated = validate_rows(extract(good_row(tanggal_mulai="31/02/2026")), reference, RULES)
    assert validated.rejected["message"].to_list() == [
        "Tanggal mulai '31/02/2026' bukan tanggal yang ada. "
        "Perbaiki tanggal kepesertaan (format HH/BB/TTTT)."
    ]


def test_row_failing_several_rules_gets_the_first_reason_in_contract_order(reference):
    row = good_row(
        nik=None,
        kategori="Nelayan",
        kelurahan="Sekip Baru",
        tanggal_mulai=None,
        tanggal_akhir="bulan depan",
    )
    # Fixing one fault at a time walks through the reasons in contract order.
    fixes = [
        {},
        {"nik": "6172010113900001"},
        {"nik": NIK_A},
        {"kategori": "Pekerja Rentan"},
        {"kelurahan": "Pasiran"},
        {"tanggal_mulai": "46006"},
        {"tanggal_mulai": "31/12/2024"},
        {"tanggal_mulai": "15/12/2025"},
        {"tanggal_akhir": "14/12/2025"},
    ]
    seen = []
    for fix in fixes:
        row = {**row, **fix}
        seen.append(reasons(validate_rows(extract(row), reference, RULES))[0])
    assert seen == list(REJECTION_REASONS[:-1])


def test_duplicate_is_checked_only_after_every_other_rule(reference):
    read = extract(good_row(), good_row(tanggal_akhir="14/12/2025"))
    assert reasons(validate_rows(read, reference, RULES)) == ["end_before_start"]


def test_second_row_with_same_nik_and_category_is_a_duplicate_and_first_is_kept(reference):
    read = extract(
        good_row(),
        good_row(nik="'6172 0101 0190 0001", kelurahan="Roban", kecamatan=None),
    )
    validated = validate_rows(read, reference, RULES)
    check_outputs(validated, read)
    assert validated.accepted["source_row"].to_list() == [2]
    rejected = validated.rejected.row(0, named=True)
    assert (rejected["source_row"], rejected["reason"]) == (3, "duplicate_in_file")
    assert "sudah tercatat di baris 2" in rejected["message"]
    assert rejected["nik_masked"] == "6172********0001"


def test_same_nik_in_another_category_is_not_a_duplicate(reference):
    read = extract(good_row(), good_row(kategori="Sawit BPU"))
    assert validate_rows(read, reference, RULES).accepted.height == 2


def test_same_nik_in_another_file_is_not_a_duplicate(reference):
    read = pl.concat(
        [extract(good_row(), source_file="a.csv"), extract(good_row(), source_file="b.csv")]
    )
    assert validate_rows(read, reference, RULES).accepted.height == 2


def test_earlier_rejected_row_does_not_make_a_later_good_row_a_duplicate(reference):
    read = extract(good_row(tanggal_mulai="31/02/2026"), good_row(), good_row())
    validated = validate_rows(read, reference, RULES)
    assert validated.accepted["source_row"].to_list() == [3]
    assert reasons(validated) == ["start_date_invalid", "duplicate_in_file"]
    assert "sudah tercatat di baris 3" in validated.rejected["message"][1]


def test_duplicate_across_sheets_names_the_sheet_of_the_kept_row(reference):
    read = pl.concat(
        [
            extract(good_row(), source_file="kiriman.xlsx", sheet="Rentan"),
            extract(good_row(), source_file="kiriman.xlsx", sheet="Tambahan"),
        ]
    )
    validated = validate_rows(read, reference, RULES)
    assert validated.accepted["source_sheet"].to_list() == ["Rentan"]
    assert "baris 2 lembar 'Rentan'" in validated.rejected["message"][0]


def test_kelurahan_typo_is_kept_with_a_warning(reference):
    read = extract(good_row(kelurahan="Pasirn"))
    validated = validate_rows(read, reference, RULES)
    check_outputs(validated, read)
    assert validated.accepted["kode_kelurahan"].to_list() == ["61.72.02.1001"]
    warning = validated.warnings.row(0, named=True)
    assert (warning["warning"], warning["column"]) == ("kelurahan_typo", "kelurahan")
    assert warning["message"].startswith(
        "Kelurahan 'Pasirn' dibaca sebagai 'Pasiran' (salah ketik?)"
    )


def test_kecamatan_disagreeing_with_kelurahan_is_kept_with_a_warning(reference):
    read = extract(good_row(kelurahan="Tengah", kecamatan="Singkawang Tengah"))
    validated = validate_rows(read, reference, RULES)
    check_outputs(validated, read)
    assert validated.accepted["kode_kelurahan"].to_list() == ["61.72.02.1003"]
    warning = validated.warnings.row(0, named=True)
    assert (warning["warning"], warning["column"]) == ("kecamatan_mismatch", "kecamatan")
    assert "Singkawang Barat" in warning["message"]


def test_rejected_rows_get_no_warnings(reference):
    read = extract(good_row(kelurahan="Pasirn", tanggal_mulai=None))
    validated = validate_rows(read, reference, RULES)
    assert validated.warnings.height == 0


def test_no_message_contains_a_full_nik(reference):
    read = extract(
        good_row(nik="6172013201900001"),
        good_row(kategori=NIK_A),
        good_row(kelurahan=f"Kel {NIK_A}"),
        good_row(tanggal_mulai=NIK_A),
        good_row(tanggal_akhir=f"{NIK_A} x"),
        good_row(),
        good_row(),
        good_row(kelurahan="Pasirn", kecamatan=NIK_A, nik=NIK_B),
    )
    validated = validate_rows(read, reference, RULES)
    check_outputs(validated, read)
    for text in [*validated.rejected["message"], *validated.warnings["message"]]:
        assert re.search(r"\d{16}", text) is None, text
    assert validated.rejected.height == 6


def test_output_keeps_input_order_and_provenance(reference):
    read = extract(good_row(nik=None), good_row(), good_row(kategori="x"), good_row(nik=NIK_B))
    validated = validate_rows(read, reference, RULES)
    assert validated.accepted["source_row"].to_list() == [3, 5]
    assert validated.rejected["source_row"].to_list() == [2, 4]


def test_empty_extract_gives_empty_outputs(reference):
    read = pl.DataFrame(schema=SCHEMA)
    validated = validate_rows(read, reference, RULES)
    check_outputs(validated, read)
    assert validated.accepted.height == validated.rejected.height == validated.warnings.height == 0


def test_program_window_comes_from_the_rules(reference):
    narrow = ProgramRules(
        launch_date=RULES.launch_date,
        start_date_min=date(2025, 12, 15),
        start_date_max=date(2025, 12, 31),
        monthly_premium_idr=RULES.monthly_premium_idr,
        categories=RULES.categories,
    )
    read = extract(good_row(tanggal_mulai="14/12/2025"), good_row(nik=NIK_B))
    assert reasons(validate_rows(read, reference, narrow)) == ["start_date_out_of_range"]


_cells = {
    "nik": st.sampled_from([NIK_A, NIK_B, "6172010113900001", "6.17201E+15", None, "'" + NIK_A]),
    "kategori": st.sampled_from(["Pekerja Rentan", "sawit", "PR", "nelayan", None]),
    "kelurahan": st.sampled_from(["Pasiran", "Pasirn", "Tengah", "Sekip Baru", None]),
    "kecamatan": st.sampled_from(["Singkawang Barat", "Singkawang Tengah", None]),
    "tanggal_mulai": st.sampled_from(["15/12/2025", "31/02/2026", "2024-12-31", "46006", None]),
    "tanggal_akhir": st.sampled_from([None, "01/01/2026", "14/12/2025", "x"]),
}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.fixed_dictionaries(_cells), max_size=12))
def test_every_read_row_is_either_accepted_or_rejected_once(reference, changes):
    read = extract(*(good_row(**change) for change in changes))
    validated = validate_rows(read, reference, RULES)
    check_outputs(validated, read)
    rows = sorted([*validated.accepted["source_row"], *validated.rejected["source_row"]])
    assert rows == read["source_row"].to_list()
    keys = validated.accepted.select("source_file", "nik", "category")
    assert keys.is_unique().all()
