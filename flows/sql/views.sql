-- Views of the published model. Each statement ends with a semicolon on its own line end.

CREATE VIEW core.coverage AS
SELECT
    e.person_key,
    e.category,
    e.kode_kelurahan,
    e.kelurahan,
    e.kode_kecamatan,
    e.kecamatan,
    CAST(e.coverage_start_month + to_months(CAST(m.month_offset AS INTEGER)) AS DATE) AS coverage_month
FROM core.enrolment AS e
CROSS JOIN LATERAL (SELECT unnest(range(e.coverage_months)) AS month_offset) AS m;

COMMENT ON VIEW core.coverage IS 'One row per enrolment per coverage month (computed from core.enrolment, not stored).';
COMMENT ON COLUMN core.coverage.person_key IS 'Keyed hash of the NIK (see core.enrolment).';
COMMENT ON COLUMN core.coverage.category IS 'Category code (see ref.category).';
COMMENT ON COLUMN core.coverage.kode_kelurahan IS 'Kemendagri code of the kelurahan.';
COMMENT ON COLUMN core.coverage.kelurahan IS 'Official kelurahan name.';
COMMENT ON COLUMN core.coverage.kode_kecamatan IS 'Kemendagri code of the kecamatan.';
COMMENT ON COLUMN core.coverage.kecamatan IS 'Official kecamatan name.';
COMMENT ON COLUMN core.coverage.coverage_month IS 'First day of a month the premium covers.';

CREATE VIEW audit.rejections_by_file_reason AS
SELECT source_file, reason, "column", count(*) AS rejected_rows
FROM audit.rejected_rows
GROUP BY ALL
ORDER BY source_file, reason;

COMMENT ON VIEW audit.rejections_by_file_reason IS 'One row per file and rejection reason: how many rows to fix at the source.';
COMMENT ON COLUMN audit.rejections_by_file_reason.source_file IS 'File path relative to the raw folder.';
COMMENT ON COLUMN audit.rejections_by_file_reason.reason IS 'Rejection reason code.';
COMMENT ON COLUMN audit.rejections_by_file_reason."column" IS 'The contract column at fault.';
COMMENT ON COLUMN audit.rejections_by_file_reason.rejected_rows IS 'Rows rejected for that reason.';
