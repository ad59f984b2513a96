"""stored estimates and respondent counts

The figures of closed waves (computed once at close) and the per-cell respondent counts
behind response rates.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "estimate",
        sa.Column("wave_id", sa.String(length=32), nullable=False),
        sa.Column("indicator", sa.String(length=64), nullable=False),
        sa.Column("breakdown", sa.String(length=16), nullable=False),
        sa.Column("group_code", sa.String(length=32), nullable=False),
        sa.Column("estimate", sa.Double(), nullable=True),
        sa.Column("ci_low", sa.Double(), nullable=True),
        sa.Column("ci_high", sa.Double(), nullable=True),
        sa.Column("se", sa.Double(), nullable=True),
        sa.Column("n", sa.Integer(), nullable=True),
        sa.Column("suppressed", sa.Boolean(), nullable=False),
        sa.Column("series_break", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "breakdown IN ('none', 'organisation', 'unit', 'function_group')",
            name=op.f("ck_estimate_breakdown"),
        ),
        sa.CheckConstraint(
            "NOT suppressed OR (estimate IS NULL AND ci_low IS NULL AND ci_high IS NULL "
            "AND se IS NULL AND n IS NULL)",
            name=op.f("ck_estimate_suppressed_is_empty"),
        ),
        sa.ForeignKeyConstraint(["wave_id"], ["wave.id"], name=op.f("fk_estimate_wave_id_wave")),
        sa.PrimaryKeyConstraint(
            "wave_id", "indicator", "breakdown", "group_code", name=op.f("pk_estimate")
        ),
    )
    op.create_table(
        "respondent_count",
        sa.Column("wave_id", sa.String(length=32), nullable=False),
        sa.Column("organisation", sa.String(length=32), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("function_group", sa.String(length=32), nullable=False),
        sa.Column("respondents", sa.Integer(), nullable=False),
        sa.Column("headcount", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["wave_id"], ["wave.id"], name=op.f("fk_respondent_count_wave_id_wave")
        ),
        sa.PrimaryKeyConstraint(
            "wave_id", "organisation", "unit", "function_group", name=op.f("pk_respondent_count")
        ),
    )


def downgrade() -> None:
    op.drop_table("respondent_count")
    op.drop_table("estimate")
