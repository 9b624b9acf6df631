-- Checks run on a freshly built database before it is published. Each check is a query
-- returning the rows that break it: a check passes when it returns nothing.
-- A line "-- check: <name> | <what it guarantees>" starts each check.

-- check: kelurahan_sums_equal_kecamatan | the kelurahan rows of every kecamatan add up to mart.coverage_kecamatan_monthly
SELECT coalesce(k.category, c.category) AS category, coalesce(k.kode_kecamatan, c.kode_kecamatan) AS kode_kecamatan,
       coalesce(k.coverage_month, c.coverage_month) AS coverage_month, k.participants AS from_kelurahan, c.participants AS kecamatan
FROM (SELECT category, kode_kecamatan, coverage_month, sum(participants) AS participants
      FROM mart.coverage_monthly GROUP BY ALL) AS k
FULL OUTER JOIN mart.coverage_kecamatan_monthly AS c USING (category, kode_kecamatan, coverage_month)
WHERE k.participants IS DISTINCT FROM c.participants;

-- check: kecamatan_sums_equal_city | the kecamatan rows add up to mart.coverage_city_monthly
SELECT coalesce(k.category, c.category) AS category, coalesce(k.coverage_month, c.coverage_month) AS coverage_month,
       k.participants AS from_kecamatan, c.participants AS city
FROM (SELECT category, coverage_month, sum(participants) AS participants
      FROM mart.coverage_kecamatan_monthly GROUP BY ALL) AS k
FULL OUTER JOIN mart.coverage_city_monthly AS c USING (category, coverage_month)
WHERE k.participants IS DISTINCT FROM c.participants;

-- check: marts_equal_core_coverage | mart.coverage_monthly equals a fresh count of the coverage months of core.enrolment
-- Enrolments are counted per (category, kelurahan, first month, months) and only those
-- counts are spread over their months, as core.coverage spreads each enrolment: the same
-- numbers, without a row per enrolment and month. Counting rows counts distinct persons:
-- core.enrolment is unique per (person_key, category), which its model checks before the
-- table is written, and one enrolment covers a month once.
SELECT coalesce(m.category, c.category) AS category, coalesce(m.kode_kelurahan, c.kode_kelurahan) AS kode_kelurahan,
       coalesce(m.coverage_month, c.coverage_month) AS coverage_month, m.participants AS mart, c.participants AS core
FROM mart.coverage_monthly AS m
FULL OUTER JOIN (
    SELECT e.category, e.kode_kelurahan,
           CAST(e.coverage_start_month + to_months(CAST(o.month_offset AS INTEGER)) AS DATE) AS coverage_month,
           sum(e.enrolments) AS participants
    FROM (SELECT category, kode_kelurahan, coverage_start_month, coverage_months, count(*) AS enrolments
          FROM core.enrolment GROUP BY ALL) AS e
    CROSS JOIN LATERAL (SELECT unnest(range(e.coverage_months)) AS month_offset) AS o
    GROUP BY ALL) AS c USING (category, kode_kelurahan, coverage_month)
WHERE m.participants IS DISTINCT FROM c.participants;

-- check: persons_between_category_max_and_sum | persons in any category lie between the largest category and the sum of categories
SELECT p.coverage_month, p.persons, c.largest, c.total
FROM mart.persons_city_monthly AS p
FULL OUTER JOIN (SELECT coverage_month, max(participants) AS largest, sum(participants) AS total
                 FROM mart.coverage_city_monthly GROUP BY ALL) AS c USING (coverage_month)
WHERE p.persons IS NULL OR c.total IS NULL OR p.persons < c.largest OR p.persons > c.total;

-- check: progress_equals_core | mart.progress_by_category counts equal core.enrolment
SELECT p.category, p.enrolments, e.enrolments AS core_enrolments
FROM mart.progress_by_category AS p
LEFT JOIN (SELECT category, count(*) AS enrolments, sum(coverage_months) AS premium_months
           FROM core.enrolment GROUP BY ALL) AS e USING (category)
WHERE coalesce(e.enrolments, 0) <> p.enrolments OR coalesce(e.premium_months, 0) <> p.premium_months;

-- check: coverage_inside_program_window | no coverage month before the window opens or after the last month a start inside it can reach
SELECT m.category, m.coverage_month
FROM mart.coverage_monthly AS m
JOIN ref.category AS c USING (category)
CROSS JOIN ref.program AS p
WHERE m.coverage_month < date_trunc('month', p.start_date_min)
   OR m.coverage_month > date_trunc('month', p.start_date_max) + to_months(c.months - 1);

-- check: coverage_within_category_months | no enrolment is covered for more months than its category pays
SELECT e.category, e.nik_masked, e.coverage_months, c.months
FROM core.enrolment AS e JOIN ref.category AS c USING (category)
WHERE e.coverage_months > c.months OR e.coverage_months < 1;

-- check: rows_read_equal_accepted_plus_rejected | every file: rows read = rows accepted + rows rejected
SELECT source_file, rows_read, rows_accepted, rows_rejected
FROM audit.file_loads
WHERE rows_read <> rows_accepted + rows_rejected;

-- check: rejected_rows_match_file_loads | audit.rejected_rows holds exactly the rejected rows counted per file
SELECT coalesce(f.source_file, r.source_file) AS source_file, f.rows_rejected, r.rejected
FROM audit.file_loads AS f
FULL OUTER JOIN (SELECT source_file, count(*) AS rejected FROM audit.rejected_rows GROUP BY ALL) AS r
    USING (source_file)
WHERE coalesce(f.rows_rejected, 0) <> coalesce(r.rejected, 0);

-- check: enrolments_have_known_kelurahan | every enrolment points at an official kelurahan
SELECT e.category, e.nik_masked, e.kode_kelurahan
FROM core.enrolment AS e
LEFT JOIN ref.kelurahan AS k USING (kode_kelurahan)
WHERE k.kode_kelurahan IS NULL;

-- check: enrolments_come_from_loaded_files | every enrolment's source file was loaded
SELECT e.source_file, count(*) AS enrolments
FROM core.enrolment AS e
LEFT JOIN audit.file_loads AS f ON f.source_file = e.source_file AND f.status = 'loaded'
WHERE f.source_file IS NULL
GROUP BY ALL;
