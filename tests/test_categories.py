"""Reading the kategori column as a category code."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.columns import CATEGORY_LABELS, PEKERJA_RENTAN, SAWIT_BPU
from transforms.categories import normalise_category


def _codes(values: list[str | None]) -> list[str | None]:
    frame = pl.DataFrame({"kategori": values}, schema={"kategori": pl.String})
    return frame.select(normalise_category(pl.col("kategori")))["kategori"].to_list()


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("pekerja rentan", PEKERJA_RENTAN),
        ("Pekerja Rentan", PEKERJA_RENTAN),
        ("PEKERJA_RENTAN", PEKERJA_RENTAN),
        ("pekerja-rentan", PEKERJA_RENTAN),
        ("Rentan", PEKERJA_RENTAN),
        ("PR", PEKERJA_RENTAN),
        ("P.R.", PEKERJA_RENTAN),
        ("p r", PEKERJA_RENTAN),
        ("pekerja sawit bpu", SAWIT_BPU),
        ("Pekerja Sawit (BPU)", SAWIT_BPU),
        ("sawit bpu", SAWIT_BPU),
        ("BPU Sawit", SAWIT_BPU),
        ("SAWIT", SAWIT_BPU),
        ("sawit_bpu", SAWIT_BPU),
        ("Pekerja Sawit Bukan Penerima Upah", SAWIT_BPU),
        ("Pekerja Sawit Bukan Penerima Upah (BPU)", SAWIT_BPU),
        ("Pekerja Kelapa Sawit BPU", SAWIT_BPU),
        ("pekerja kelapa sawit bukan penerima upah", SAWIT_BPU),
    ],
)
def test_contract_labels_are_recognised_ignoring_case_spaces_and_punctuation(written, code):
    assert _codes([written]) == [code]


@pytest.mark.parametrize(
    "written", ["", "BPU", "pekerja", "nelayan", "pekerja rentan sawit", "P R U", None]
)
def test_other_text_is_not_a_category(written):
    assert _codes([written]) == [None]


@given(
    st.sampled_from(
        [(code, label) for code, labels in CATEGORY_LABELS.items() for label in labels]
    ),
    st.sampled_from([str.upper, str.lower, str.title]),
    st.sampled_from(["", " ", ".", "_", " - "]),
)
def test_any_label_with_any_case_and_separator_is_recognised(pair, case, separator):
    code, label = pair
    written = case(label).replace(" ", separator)
    assert _codes([f"  {written}."]) == [code]
