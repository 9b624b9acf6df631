"""Names the data contract gives to columns, categories and rejection reasons."""

from __future__ import annotations

from typing import Final

NIK: Final = "nik"
NAMA: Final = "nama"
TANGGAL_LAHIR: Final = "tanggal_lahir"
JENIS_KELAMIN: Final = "jenis_kelamin"
KELURAHAN: Final = "kelurahan"
KECAMATAN: Final = "kecamatan"
KATEGORI: Final = "kategori"
PEKERJAAN: Final = "pekerjaan"
NO_KPJ: Final = "no_kpj"
TANGGAL_MULAI: Final = "tanggal_mulai"
TANGGAL_AKHIR: Final = "tanggal_akhir"

CONTRACT_COLUMNS: Final[tuple[str, ...]] = (
    NIK,
    NAMA,
    TANGGAL_LAHIR,
    JENIS_KELAMIN,
    KELURAHAN,
    KECAMATAN,
    KATEGORI,
    PEKERJAAN,
    NO_KPJ,
    TANGGAL_MULAI,
    TANGGAL_AKHIR,
)
REQUIRED_COLUMNS: Final[tuple[str, ...]] = (NIK, KELURAHAN, KATEGORI, TANGGAL_MULAI)

# Header aliases as written in the contract; they are normalised before matching.
COLUMN_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    NIK: ("NIK", "NO NIK", "NOMOR NIK", "NOMOR INDUK KEPENDUDUKAN"),
    NAMA: ("NAMA", "NAMA LENGKAP", "NAMA PESERTA", "NAMA TENAGA KERJA"),
    TANGGAL_LAHIR: ("TGL LAHIR", "TANGGAL LAHIR"),
    JENIS_KELAMIN: ("JK", "L/P", "JENIS KELAMIN", "SEX"),
    KELURAHAN: ("KELURAHAN", "KEL", "DESA/KELURAHAN", "KELURAHAN/DESA"),
    KECAMATAN: ("KECAMATAN", "KEC"),
    KATEGORI: ("KATEGORI", "KATEGORI PESERTA", "JENIS PESERTA", "SEGMEN"),
    PEKERJAAN: ("PEKERJAAN", "JENIS PEKERJAAN"),
    NO_KPJ: ("KPJ", "NO KPJ", "NOMOR KPJ"),
    TANGGAL_MULAI: (
        "TMT",
        "TGL KEPESERTAAN",
        "TANGGAL KEPESERTAAN",
        "TGL MULAI",
        "TANGGAL MULAI",
    ),
    TANGGAL_AKHIR: ("TGL AKHIR", "TANGGAL AKHIR", "TGL BERAKHIR", "TANGGAL BERAKHIR"),
}

# Provenance columns carried by every row from the file it came from.
SOURCE_FILE: Final = "source_file"
SOURCE_SHEET: Final = "source_sheet"
SOURCE_ROW: Final = "source_row"
SOURCE_COLUMNS: Final[tuple[str, ...]] = (SOURCE_FILE, SOURCE_SHEET, SOURCE_ROW)

PEKERJA_RENTAN: Final = "pekerja_rentan"
SAWIT_BPU: Final = "sawit_bpu"
CATEGORY_CODES: Final[tuple[str, ...]] = (PEKERJA_RENTAN, SAWIT_BPU)

# Category labels as written in the contract; case, spaces and punctuation are ignored.
CATEGORY_LABELS: Final[dict[str, tuple[str, ...]]] = {
    PEKERJA_RENTAN: ("pekerja rentan", "rentan", "pr", "pekerja_rentan"),
    SAWIT_BPU: (
        "pekerja sawit bpu",
        "sawit bpu",
        "bpu sawit",
        "sawit",
        "pekerja sawit bukan penerima upah",
        "pekerja sawit bukan penerima upah bpu",
        "pekerja kelapa sawit bpu",
        "pekerja kelapa sawit bukan penerima upah",
        "sawit_bpu",
    ),
}

# Rejection reasons, in the order the contract applies them: the first that applies wins.
NIK_MISSING: Final = "nik_missing"
NIK_INVALID: Final = "nik_invalid"
CATEGORY_UNKNOWN: Final = "category_unknown"
KELURAHAN_UNKNOWN: Final = "kelurahan_unknown"
START_DATE_MISSING: Final = "start_date_missing"
START_DATE_INVALID: Final = "start_date_invalid"
START_DATE_OUT_OF_RANGE: Final = "start_date_out_of_range"
END_DATE_INVALID: Final = "end_date_invalid"
END_BEFORE_START: Final = "end_before_start"
DUPLICATE_IN_FILE: Final = "duplicate_in_file"
REJECTION_REASONS: Final[tuple[str, ...]] = (
    NIK_MISSING,
    NIK_INVALID,
    CATEGORY_UNKNOWN,
    KELURAHAN_UNKNOWN,
    START_DATE_MISSING,
    START_DATE_INVALID,
    START_DATE_OUT_OF_RANGE,
    END_DATE_INVALID,
    END_BEFORE_START,
    DUPLICATE_IN_FILE,
)
REASON_COLUMN: Final[dict[str, str]] = {
    NIK_MISSING: NIK,
    NIK_INVALID: NIK,
    CATEGORY_UNKNOWN: KATEGORI,
    KELURAHAN_UNKNOWN: KELURAHAN,
    START_DATE_MISSING: TANGGAL_MULAI,
    START_DATE_INVALID: TANGGAL_MULAI,
    START_DATE_OUT_OF_RANGE: TANGGAL_MULAI,
    END_DATE_INVALID: TANGGAL_AKHIR,
    END_BEFORE_START: TANGGAL_AKHIR,
    DUPLICATE_IN_FILE: NIK,
}

# Warnings that keep the row.
WARNING_KELURAHAN_TYPO: Final = "kelurahan_typo"
WARNING_KECAMATAN_MISMATCH: Final = "kecamatan_mismatch"

# File statuses in audit.file_loads.
FILE_LOADED: Final = "loaded"
FILE_REJECTED: Final = "rejected"
FILE_DUPLICATE: Final = "duplicate"
