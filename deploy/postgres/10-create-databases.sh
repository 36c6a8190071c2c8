#!/bin/sh
# Runs once, when the PostgreSQL volume is first initialised: POSTGRES_DB holds the Dagster instance;
# the scripts/script_runs tables get their own database (both use an `alembic_version` table).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -c "CREATE DATABASE \"${BATCHVIDEO_DB:-batchvideo}\""
# The business side's login. Its rights (insert/update/select on scripts, select on script_runs, nothing
# else) are granted by `batchvideo init --business-role` once the tables exist.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v role="${BUSINESS_DB_USER:-batchvideo_business}" -v password="$BUSINESS_DB_PASSWORD" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
SQL
