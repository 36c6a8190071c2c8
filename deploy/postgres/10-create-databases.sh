#!/bin/sh
# Runs once, when the PostgreSQL volume is first initialised: POSTGRES_DB holds the Dagster instance;
# the scripts/script_runs tables get their own database (both use an `alembic_version` table).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -c "CREATE DATABASE \"${BATCHVIDEO_DB:-batchvideo}\""
