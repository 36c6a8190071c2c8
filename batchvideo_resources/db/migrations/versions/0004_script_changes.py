"""script_changes: a table-wide change feed of the scripts table, written by triggers

Revision ID: 0004
Revises: 0003

The scripts sensor reads only what changed since its high-water mark instead of scanning the table:
one indexed query per tick, whatever the table's size. Every INSERT, every UPDATE that moves
`revision` (migration 0002) and every DELETE (a hard delete leaves a tombstone, op 'D') writes one
row here, whoever writes the scripts row. The log is compacted by the same trigger: a script keeps
only its latest change row, so the table holds one row per script ever created (plus nothing per
edit) and a sensor started from scratch replays every script exactly once.

Ordering. SQLite serialises writers and assigns `seq` inside the write transaction, so `seq` order is
commit order. PostgreSQL does not: a transaction can take seq 5 and commit after another took and
committed seq 6, so the sensor keeps the gaps it passed as "holes" and reads them again
(`batchvideo_resources/db/feed.py`). `txid` (the writing transaction, PostgreSQL only) is kept for
diagnosing such a gap; the reader does not order by it (a horizon on the oldest running transaction
would be exact but is cluster-wide: any long transaction on the server would stall the feed).
TRUNCATE fires no row trigger and is not seen.
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table(
        "script_changes",
        # SQLite: INTEGER PRIMARY KEY AUTOINCREMENT (never reuses a value, even after the compaction
        # deleted the highest row); PostgreSQL: bigserial.
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("script_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=True),
        sa.Column("op", sa.String(1), nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=True,
                  server_default=None if sqlite else sa.text("(pg_current_xact_id()::text::bigint)")),
        sa.Column("changed_at", sa.DateTime(), nullable=False,
                  server_default=sa.text("(STRFTIME('%Y-%m-%d %H:%M:%f', 'now'))") if sqlite
                  else sa.text("clock_timestamp()")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_script_changes_script_id", "script_changes", ["script_id"])
    if sqlite:
        record = ("DELETE FROM script_changes WHERE script_id = {r}.id; "
                  "INSERT INTO script_changes (script_id, revision, op) VALUES ({r}.id, {r}.revision, '{op}');")
        op.execute(f"CREATE TRIGGER script_changes_insert AFTER INSERT ON scripts "
                   f"BEGIN {record.format(r='NEW', op='I')} END")
        # Fires for the nested UPDATE of migration 0002's trigger too (only a trigger already running
        # is held back when recursive triggers are off), and for a raw UPDATE of `revision` itself.
        op.execute(f"CREATE TRIGGER script_changes_update AFTER UPDATE OF revision ON scripts "
                   f"FOR EACH ROW WHEN NEW.revision IS NOT OLD.revision BEGIN {record.format(r='NEW', op='U')} END")
        op.execute(f"CREATE TRIGGER script_changes_delete AFTER DELETE ON scripts "
                   f"BEGIN {record.format(r='OLD', op='D')} END")
    else:
        op.create_index("ix_script_changes_txid_seq", "script_changes", ["txid", "seq"])
        op.execute("""
            CREATE FUNCTION script_changes_record() RETURNS trigger AS $$
            BEGIN
              IF TG_OP = 'DELETE' THEN
                DELETE FROM script_changes WHERE script_id = OLD.id;
                INSERT INTO script_changes (script_id, revision, op) VALUES (OLD.id, OLD.revision, 'D');
                RETURN OLD;
              END IF;
              IF TG_OP = 'INSERT' OR NEW.revision IS DISTINCT FROM OLD.revision THEN
                DELETE FROM script_changes WHERE script_id = NEW.id;
                INSERT INTO script_changes (script_id, revision, op) VALUES (NEW.id, NEW.revision, left(TG_OP, 1));
              END IF;
              RETURN NEW;
            END $$ LANGUAGE plpgsql
            -- Runs as the owner of the feed, so the business side's role (insert/update/select on
            -- scripts only: batchvideo_resources/db/roles.py) needs no rights on script_changes; its
            -- search path is fixed, temporary tables last, so no caller's table can stand in.
            SECURITY DEFINER SET search_path = {schema}, pg_temp""".replace(
            "{schema}", op.get_bind().dialect.identifier_preparer.quote(
                op.get_bind().execute(sa.text("SELECT current_schema()")).scalar())))
        op.execute("CREATE TRIGGER script_changes AFTER INSERT OR UPDATE OR DELETE ON scripts "
                   "FOR EACH ROW EXECUTE FUNCTION script_changes_record()")
    # Every existing script once, in id order ('B': baseline), so a sensor started from scratch sees
    # them and an old cursor can be converted to a position in the feed.
    op.execute("INSERT INTO script_changes (script_id, revision, op) SELECT id, revision, 'B' FROM scripts ORDER BY id")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS script_changes_{name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS script_changes ON scripts")
        op.execute("DROP FUNCTION IF EXISTS script_changes_record()")
    op.drop_table("script_changes")
