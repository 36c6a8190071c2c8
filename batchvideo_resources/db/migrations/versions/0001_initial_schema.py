"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 14:59:49.909069
"""
import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def _now():
    # Sub-second timestamps even for rows inserted with raw SQL: the scripts sensor pages on updated_at.
    if op.get_bind().dialect.name == "sqlite":
        return sa.text("(STRFTIME('%Y-%m-%d %H:%M:%f', 'now'))")
    return sa.text("clock_timestamp()")


def upgrade() -> None:
    op.create_table('accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('logo', sa.String(length=512), nullable=True),
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('subtitle_background', sa.String(length=16), nullable=False),
    sa.Column('font', sa.String(length=128), nullable=True),
    sa.Column('enable_transition', sa.Boolean(), nullable=False),
    sa.Column('transition_types', sa.JSON(), nullable=True),
    sa.Column('digital_human', sa.JSON(), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    op.create_table('languages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('tts_voice', sa.String(length=64), nullable=False),
    sa.Column('square', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('script_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('script_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_detail', sa.Text(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('outputs', sa.JSON(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('run_id')
    )
    with op.batch_alter_table('script_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_script_runs_script_id'), ['script_id'], unique=False)

    op.create_table('topics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('image_prompt', sa.Text(), nullable=False),
    sa.Column('image_prompt_prefix', sa.Text(), nullable=False),
    sa.Column('cover_prompt', sa.Text(), nullable=False),
    sa.Column('lora_name', sa.String(length=128), nullable=True),
    sa.Column('lora_weight', sa.Integer(), nullable=False),
    sa.Column('broll_ratio', sa.Float(), nullable=False),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('voices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('reference_audio', sa.String(length=512), nullable=True),
    sa.Column('backend', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('scripts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=256), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('publish_title', sa.String(length=256), nullable=True),
    sa.Column('language_id', sa.Integer(), nullable=True),
    sa.Column('voice_id', sa.Integer(), nullable=True),
    sa.Column('topic_id', sa.Integer(), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('speech_speed', sa.Float(), nullable=False),
    sa.Column('is_horizontal', sa.Boolean(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('extra', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=_now(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), server_default=_now(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ),
    sa.ForeignKeyConstraint(['language_id'], ['languages.id'], ),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], ),
    sa.ForeignKeyConstraint(['voice_id'], ['voices.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('scripts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scripts_updated_at'), ['updated_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('scripts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scripts_updated_at'))

    op.drop_table('scripts')
    op.drop_table('voices')
    op.drop_table('topics')
    with op.batch_alter_table('script_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_script_runs_script_id'))

    op.drop_table('script_runs')
    op.drop_table('languages')
    op.drop_table('accounts')
