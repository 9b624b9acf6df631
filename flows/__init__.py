"""IO and orchestration: reading extracts, building and publishing the database, reports."""
