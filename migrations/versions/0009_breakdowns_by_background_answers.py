"""breakdowns by background answers

Figures are also broken down by the background questions a questionnaire version marks
as breakdowns (tenure, age, gender), so the stored figures' `breakdown` is no longer one
of a fixed list (the check goes; the questionnaire definition limits the ids). Their
respondent counts per group are kept at close for response rates: the frame has no
headcounts by these answers, and the day counts are per frame cell.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FRAME_BREAKDOWNS = "('none', 'organisation', 'unit', 'function_group')"


def upgrade() -> None:
    with op.batch_alter_table("estimate", schema=None) as batch_op:
        batch_op.drop_constraint("breakdown", type_="check")
    op.create_table(
        "answer_group_count",
        sa.Column("wave_id", sa.String(length=32), nullable=False),
        sa.Column("breakdown", sa.String(length=16), nullable=False),
        sa.Column("group_code", sa.String(length=32), nullable=False),
        sa.Column("respondents", sa.Integer(), nullable=True),
        sa.Column("suppressed", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "suppressed = (respondents IS NULL)",
            name=op.f("ck_answer_group_count_suppressed_is_empty"),
        ),
        sa.ForeignKeyConstraint(
            ["wave_id"], ["wave.id"], name=op.f("fk_answer_group_count_wave_id_wave")
        ),
        sa.PrimaryKeyConstraint(
            "wave_id", "breakdown", "group_code", name=op.f("pk_answer_group_count")
        ),
    )


def downgrade() -> None:
    op.drop_table("answer_group_count")
    op.execute(
        "DELETE FROM estimate WHERE breakdown NOT IN "
        "('none', 'organisation', 'unit', 'function_group')"
    )
    with op.batch_alter_table("estimate", schema=None) as batch_op:
        batch_op.create_check_constraint("breakdown", f"breakdown IN {FRAME_BREAKDOWNS}")
