"""Pure polars transforms: frames in, frames out; no files, no Prefect, no DuckDB."""
