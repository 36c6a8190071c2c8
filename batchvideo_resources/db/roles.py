"""The business side's database role: what an application that queues scripts and reads results may do,
and nothing else (PostgreSQL).

It inserts, updates (edits, soft deletes, priorities) and reads `scripts`, and reads `script_runs`.
It cannot delete rows, write `script_runs`, read or change the reference tables, the change feed or the
migrations. The triggers an insert or edit fires (the revision counter, the change feed) run as the
tables' owner (`SECURITY DEFINER`), and foreign keys are checked by PostgreSQL as the owner, so the role
needs no rights beyond these. The role itself (LOGIN, password) is created by whoever administers the
server: deploy/postgres/10-create-databases.sh in docker-compose."""

from __future__ import annotations

from sqlalchemy import text

from batchvideo_resources.db.session import engine_for

SCRIPTS_RIGHTS = "SELECT, INSERT, UPDATE"


class MissingRoleError(ValueError):
    """The role to grant does not exist (a database created before the role was, in compose)."""


def grant_business_role(db_url: str, role: str) -> None:
    """Give `role` exactly the business side's rights in the scripts database (idempotent)."""
    engine = engine_for(db_url)
    if engine.dialect.name != "postgresql":
        raise ValueError("a business role needs PostgreSQL; SQLite has no roles")
    with engine.begin() as conn:
        quoted = conn.dialect.identifier_preparer.quote(role)
        if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first() is None:
            raise MissingRoleError(f"role {role!r} does not exist: create it with LOGIN and a password first "
                                   f"(CREATE ROLE {quoted} LOGIN PASSWORD '…'), then run init again")
        database = conn.dialect.identifier_preparer.quote(conn.execute(text("SELECT current_database()")).scalar())
        schema = conn.dialect.identifier_preparer.quote(conn.execute(text("SELECT current_schema()")).scalar())
        sequence = conn.execute(text("SELECT pg_get_serial_sequence('scripts', 'id')")).scalar()
        for statement in (
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {quoted}",
            f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {quoted}",
            f"GRANT CONNECT ON DATABASE {database} TO {quoted}",
            f"GRANT USAGE ON SCHEMA {schema} TO {quoted}",
            f"GRANT {SCRIPTS_RIGHTS} ON scripts TO {quoted}",
            f"GRANT USAGE ON SEQUENCE {sequence} TO {quoted}",
            f"GRANT SELECT ON script_runs TO {quoted}",
        ):
            conn.execute(text(statement))
