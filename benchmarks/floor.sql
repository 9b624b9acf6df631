-- The floor: one DuckDB query from the raw CSV deliveries to mart.coverage_monthly.
--
-- Parameters: $files (paths of the deliveries), $kelurahan_csv and $aliases_csv (the
-- reference files), $labels (list of {label_key, category}: every category label with case,
-- spaces and punctuation removed), $months (list of {category, months}), $start_min and
-- $start_max (the accepted start-date window).
--
-- It applies the contract's rules as far as the benchmark data needs them: header aliases,
-- NIK cleaning and checks, category labels, kelurahan by exact normalised name or alias,
-- ISO and day-first dates, the start-date window, end dates, one row per NIK and category
-- per file, and the latest delivery (date in the file name) wins. Matching runs once per
-- distinct written value. Of two same-file rows with the same NIK and category it keeps
-- either: the benchmark data repeats the values of the row a duplicate copies.
WITH raw AS (
    SELECT
        filename,
        coalesce(*COLUMNS(lambda c: regexp_full_match(replace(c, '_', ''),
            'nik|nonik|nomornik|nomorindukkependudukan'))) AS nik,
        coalesce(*COLUMNS(lambda c: regexp_full_match(replace(c, '_', ''),
            'kelurahan|kel|desakelurahan|kelurahandesa'))) AS kelurahan,
        coalesce(*COLUMNS(lambda c: regexp_full_match(replace(c, '_', ''),
            'kategori|kategoripeserta|jenispeserta|segmen'))) AS kategori,
        coalesce(*COLUMNS(lambda c: regexp_full_match(replace(c, '_', ''),
            'tmt|tglkepesertaan|tanggalkepesertaan|tglmulai|tanggalmulai'))) AS tanggal_mulai,
        coalesce(*COLUMNS(lambda c: regexp_full_match(replace(c, '_', ''),
            'tglakhir|tanggalakhir|tglberakhir|tanggalberakhir'))) AS tanggal_akhir
    FROM read_csv($files, header = true, all_varchar = true, union_by_name = true,
                  filename = true, normalize_names = true)
),
reference AS (
    SELECT * FROM read_csv($kelurahan_csv, header = true, all_varchar = true)
),
place_names AS (
    SELECT kelurahan AS written, kode_kelurahan FROM reference
    UNION ALL
    SELECT alias, kode_kelurahan FROM read_csv($aliases_csv, header = true, all_varchar = true)
),
normalised_places AS (
    SELECT
        written,
        kode_kelurahan,
        trim(regexp_replace(
            ' ' || regexp_replace(
                trim(regexp_replace(lower(written), '[^a-z0-9]+', ' ', 'g')),
                '^((kel|kelurahan|desa) )+', '') || ' ',
            ' (sei|sui|sg) ', ' sungai ', 'g')) AS name
    FROM place_names
),
official AS (
    -- An official name wins over an alias spelled the same.
    SELECT name, arg_min(kode_kelurahan, is_alias) AS kode_kelurahan
    FROM (
        SELECT name, kode_kelurahan, written NOT IN (SELECT kelurahan FROM reference) AS is_alias
        FROM normalised_places
    )
    GROUP BY name
),
kelurahan_map AS MATERIALIZED (
    SELECT d.kelurahan, o.kode_kelurahan
    FROM (SELECT DISTINCT kelurahan FROM raw) AS d
    JOIN official AS o
      ON o.name = trim(regexp_replace(
            ' ' || regexp_replace(
                trim(regexp_replace(lower(d.kelurahan), '[^a-z0-9]+', ' ', 'g')),
                '^((kel|kelurahan|desa) )+', '') || ' ',
            ' (sei|sui|sg) ', ' sungai ', 'g'))
),
labels AS (
    SELECT DISTINCT unnest($labels, recursive := true)
),
months AS (
    SELECT unnest($months, recursive := true)
),
category_map AS MATERIALIZED (
    SELECT d.kategori, l.category
    FROM (SELECT DISTINCT kategori FROM raw) AS d
    JOIN labels AS l ON l.label_key = regexp_replace(lower(d.kategori), '[^\p{L}\p{N}]', '', 'g')
),
date_texts AS (
    SELECT DISTINCT tanggal_mulai AS written FROM raw
    UNION
    SELECT DISTINCT tanggal_akhir FROM raw
),
date_map AS MATERIALIZED (
    SELECT written, CAST(try_strptime(written, ['%Y-%m-%d', '%d/%m/%Y']) AS DATE) AS day
    FROM date_texts
    WHERE written IS NOT NULL
),
deliveries AS MATERIALIZED (
    SELECT
        filename,
        row_number() OVER (
            ORDER BY regexp_extract(filename, '(\d{4}-\d{2}-\d{2})[^/]*$', 1), filename
        ) AS delivery_rank
    FROM (SELECT DISTINCT filename FROM raw)
),
cleaned AS (
    SELECT
        f.delivery_rank,
        CASE
            WHEN regexp_full_match(r.nik, '\d{16}') THEN r.nik
            ELSE regexp_replace(regexp_replace(r.nik, '\s', '', 'g'), '^[''’]', '')
        END AS nik,
        c.category,
        k.kode_kelurahan,
        s.day AS start_date,
        r.tanggal_akhir,
        e.day AS end_date
    FROM raw AS r
    JOIN deliveries AS f USING (filename)
    JOIN category_map AS c USING (kategori)
    JOIN kelurahan_map AS k USING (kelurahan)
    JOIN date_map AS s ON s.written = r.tanggal_mulai
    LEFT JOIN date_map AS e ON e.written = r.tanggal_akhir
),
accepted AS (
    SELECT
        nik,
        category,
        kode_kelurahan,
        start_date,
        end_date,
        delivery_rank
    FROM cleaned
    WHERE regexp_full_match(nik, '\d{16}')
      AND CAST(substr(nik, 9, 2) AS INTEGER) BETWEEN 1 AND 12
      AND (CAST(substr(nik, 7, 2) AS INTEGER) BETWEEN 1 AND 31
           OR CAST(substr(nik, 7, 2) AS INTEGER) BETWEEN 41 AND 71)
      AND start_date BETWEEN $start_min AND $start_max
      AND (tanggal_akhir IS NULL OR end_date IS NOT NULL)
      AND (end_date IS NULL OR end_date >= start_date)
),
enrolments AS (
    SELECT
        category,
        arg_max((kode_kelurahan, start_date, end_date), delivery_rank) AS kept
    FROM accepted
    GROUP BY nik, category
),
windows AS (
    SELECT
        e.category,
        e.kept[1] AS kode_kelurahan,
        CAST(date_trunc('month', e.kept[2]) AS DATE) AS coverage_start_month,
        CASE
            WHEN e.kept[3] IS NULL THEN m.months
            ELSE least(m.months, (year(e.kept[3]) - year(e.kept[2])) * 12
                                 + month(e.kept[3]) - month(e.kept[2]) + 1)
        END AS coverage_months
    FROM enrolments AS e
    JOIN months AS m USING (category)
),
grouped AS (
    SELECT category, kode_kelurahan, coverage_start_month, coverage_months, count(*) AS persons
    FROM windows
    GROUP BY ALL
),
spread AS (
    SELECT
        category,
        kode_kelurahan,
        CAST(coverage_start_month + to_months(CAST(month_offset AS INTEGER)) AS DATE)
            AS coverage_month,
        persons
    FROM grouped, unnest(range(coverage_months)) AS offsets(month_offset)
)
SELECT
    s.category,
    s.kode_kelurahan,
    r.kelurahan,
    r.kode_kecamatan,
    r.kecamatan,
    s.coverage_month,
    CAST(sum(s.persons) AS BIGINT) AS participants
FROM spread AS s
JOIN reference AS r USING (kode_kelurahan)
GROUP BY ALL
ORDER BY s.category, s.kode_kelurahan, s.coverage_month
