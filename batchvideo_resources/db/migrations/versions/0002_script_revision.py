"""scripts.revision: a change counter the database moves on every edit, whoever writes the row

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 17:40:00

The scripts sensor decides "already rendered" by this number, not by wall clocks: the ORM, raw SQL
from the studio's own systems and psql all move it, clock skew cannot hide an edit, and an A→B→A
edit is a new revision. Only columns a render reads count: changing `priority` re-queues nothing.
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Columns whose change makes a new revision (everything a render reads, and the soft delete).
WATCHED = ("title", "content", "description", "publish_title", "language_id", "voice_id", "topic_id",
           "account_id", "speech_speed", "is_horizontal", "extra", "deleted_at")


def upgrade() -> None:
    op.add_column("scripts", sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
    if op.get_bind().dialect.name == "sqlite":
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in WATCHED)
        # Recursive triggers are off in SQLite, and the WHEN guard stops a revision-only update anyway.
        op.execute(f"""
            CREATE TRIGGER scripts_revision AFTER UPDATE ON scripts
            FOR EACH ROW WHEN NEW.revision = OLD.revision AND ({changed})
            BEGIN UPDATE scripts SET revision = OLD.revision + 1 WHERE id = OLD.id; END""")
    else:
        # json has no equality operator in PostgreSQL: compare its text.
        cols = [f"{c}::text" if c == "extra" else c for c in WATCHED]
        new = ", ".join(f"NEW.{c}" for c in cols)
        old = ", ".join(f"OLD.{c}" for c in cols)
        op.execute(f"""
            CREATE FUNCTION scripts_bump_revision() RETURNS trigger AS $$
            BEGIN
              IF ROW({new}) IS DISTINCT FROM ROW({old}) THEN
                NEW.revision := OLD.revision + 1;
              END IF;
              RETURN NEW;
            END $$ LANGUAGE plpgsql""")
        op.execute("CREATE TRIGGER scripts_revision BEFORE UPDATE ON scripts "
                   "FOR EACH ROW EXECUTE FUNCTION scripts_bump_revision()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS scripts_revision")
    else:
        op.execute("DROP TRIGGER IF EXISTS scripts_revision ON scripts")
        op.execute("DROP FUNCTION IF EXISTS scripts_bump_revision()")
    with op.batch_alter_table("scripts") as batch:
        batch.drop_column("revision")
