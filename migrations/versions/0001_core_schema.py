"""core schema

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_key",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_on", sa.Date(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role IN ('analyst', 'admin')", name=op.f("ck_api_key_role")),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_api_key")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_key_key_hash")),
    )
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    op.create_table(
        "questionnaire_version",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=80), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire_version")),
    )
    op.create_table(
        "wave",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("questionnaire_id", sa.String(length=64), nullable=False),
        sa.Column("opens_at", sa.Date(), nullable=False),
        sa.Column("closes_at", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'open', 'closed')", name=op.f("ck_wave_status")),
        sa.CheckConstraint("opens_at <= closes_at", name=op.f("ck_wave_dates")),
        sa.ForeignKeyConstraint(
            ["questionnaire_id"],
            ["questionnaire_version.id"],
            name=op.f("fk_wave_questionnaire_id_questionnaire_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wave")),
    )
    op.create_table(
        "frame_cell",
        sa.Column("wave_id", sa.String(length=32), nullable=False),
        sa.Column("organisation", sa.String(length=32), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("function_group", sa.String(length=32), nullable=False),
        sa.Column("headcount", sa.Integer(), nullable=False),
        sa.CheckConstraint("headcount > 0", name=op.f("ck_frame_cell_headcount_positive")),
        sa.ForeignKeyConstraint(["wave_id"], ["wave.id"], name=op.f("fk_frame_cell_wave_id_wave")),
        sa.PrimaryKeyConstraint(
            "wave_id", "organisation", "unit", "function_group", name=op.f("pk_frame_cell")
        ),
    )
    op.create_table(
        "invitation_code",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("wave_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["wave_id"], ["wave.id"], name=op.f("fk_invitation_code_wave_id_wave")
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_invitation_code")),
    )
    with op.batch_alter_table("invitation_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitation_code_wave_id"), ["wave_id"], unique=False)

    op.create_table(
        "response",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("wave_id", sa.String(length=32), nullable=False),
        sa.Column("answers", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["wave_id"], ["wave.id"], name=op.f("fk_response_wave_id_wave")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response")),
    )
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_response_wave_id"), ["wave_id"], unique=False)

    op.create_table(
        "resume_state",
        sa.Column("lookup", sa.String(length=64), nullable=False),
        sa.Column("wave_id", sa.String(length=32), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["wave_id"], ["wave.id"], name=op.f("fk_resume_state_wave_id_wave")
        ),
        sa.PrimaryKeyConstraint("lookup", name=op.f("pk_resume_state")),
    )
    with op.batch_alter_table("resume_state", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resume_state_wave_id"), ["wave_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("resume_state", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resume_state_wave_id"))

    op.drop_table("resume_state")
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_response_wave_id"))

    op.drop_table("response")
    with op.batch_alter_table("invitation_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitation_code_wave_id"))

    op.drop_table("invitation_code")
    op.drop_table("frame_cell")
    op.drop_table("wave")
    op.drop_table("questionnaire_version")
    op.drop_table("audit_event")
    op.drop_table("api_key")
