"""The business side's PostgreSQL role (`batchvideo init --business-role`): it queues and edits scripts and
reads results, and can do nothing else. The triggers its writes fire (revision, change feed) still work."""

import uuid

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.exc import ProgrammingError

from batchvideo_app.cli import main

DENIED = [
    "DELETE FROM scripts",
    "INSERT INTO script_runs (script_id, run_id, status) VALUES (1, 'r', 'SUCCESS')",
    "UPDATE script_runs SET status = 'SUCCESS'",
    "SELECT * FROM accounts",
    "UPDATE languages SET name = 'x'",
    "SELECT * FROM script_changes",
    "DELETE FROM script_changes",
    "SELECT * FROM alembic_version",
]


@pytest.fixture
def business(pg_url):
    role = f"bv_business_{uuid.uuid4().hex[:6]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    result = CliRunner().invoke(main, ["init", "--business-role", role], env={"BATCHVIDEO_DB_URL": pg_url})
    assert result.exit_code == 0, result.output
    assert f"role {role}: insert/update/select on scripts" in result.output
    engine = create_engine(pg_url.replace("postgres@", f"{role}@", 1))
    try:
        yield engine, admin
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()


def test_the_role_queues_and_edits_scripts_and_reads_results(business):
    engine, admin = business
    with admin.connect() as conn:  # the role cannot read languages: the business side sends ids it knows
        language = conn.execute(text("SELECT id FROM languages WHERE code = 'en-US'")).scalar()
    with engine.begin() as conn:
        script_id = conn.execute(text(
            "INSERT INTO scripts (title, content, language_id, speech_speed, is_horizontal, priority, extra) "
            "VALUES ('Queued by the business side', 'A short text.', :lang, 1.0, true, 0, '{}') RETURNING id"),
            {"lang": language}).scalar()
        conn.execute(text("UPDATE scripts SET content = 'An edited text.' WHERE id = :i"), {"i": script_id})
        revision = conn.execute(text("SELECT revision FROM scripts WHERE id = :i"), {"i": script_id}).scalar()
        conn.execute(text("SELECT * FROM script_runs WHERE script_id = :i"), {"i": script_id}).all()
    assert revision == 2
    with admin.connect() as conn:  # the feed saw the edit, written with the owner's rights
        feed = conn.execute(text("SELECT revision, op FROM script_changes WHERE script_id = :i"),
                            {"i": script_id}).all()
    assert [tuple(row) for row in feed] == [(2, "U")]


@pytest.mark.parametrize("statement", DENIED)
def test_the_role_can_do_nothing_else(business, statement):
    engine, _ = business
    with engine.connect() as conn, pytest.raises(ProgrammingError, match="permission denied"):
        conn.execute(text(statement))


@pytest.mark.db  # `init` migrates and seeds a SQLite database first
def test_sqlite_has_no_roles(tmp_path):
    result = CliRunner().invoke(main, ["init", "--business-role", "someone"],
                                env={"BATCHVIDEO_DB_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"})
    assert result.exit_code == 1 and "needs PostgreSQL" in result.output


def test_a_role_that_does_not_exist_yet_is_a_warning_not_a_stopped_stack(pg_url):
    result = CliRunner().invoke(main, ["init", "--business-role", f"bv_missing_{uuid.uuid4().hex[:6]}"],
                                env={"BATCHVIDEO_DB_URL": pg_url})
    assert result.exit_code == 0 and "does not exist: create it with LOGIN" in result.output
