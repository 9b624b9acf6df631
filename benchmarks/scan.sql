-- A bare lower bound, not the same job: read every delivery once and count rows per
-- written (kelurahan, kategori, tanggal_mulai), with no validation, no deduplication and no
-- corrections. Parameter: $files (paths of the deliveries).
SELECT
    coalesce(*COLUMNS(lambda c: regexp_full_match(replace(c, '_', ''),
        'kelurahan|kel|desakelurahan|kelurahandesa'))) AS kelurahan,
    coalesce(*COLUMNS(lambda c: regexp_full_match(replace(c, '_', ''),
        'kategori|kategoripeserta|jenispeserta|segmen'))) AS kategori,
    coalesce(*COLUMNS(lambda c: regexp_full_match(replace(c, '_', ''),
        'tmt|tglkepesertaan|tanggalkepesertaan|tglmulai|tanggalmulai'))) AS tanggal_mulai,
    count(*) AS rows
FROM read_csv($files, header = true, all_varchar = true, union_by_name = true,
              normalize_names = true)
GROUP BY ALL
