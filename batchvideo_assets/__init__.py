"""BatchVideo Dagster code location."""
