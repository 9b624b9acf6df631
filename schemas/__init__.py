"""pandera models and column names for every boundary of the pipeline."""
