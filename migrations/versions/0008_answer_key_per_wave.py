"""answer key per wave

The survey page encrypts a respondent's answers to the wave's public key before they
leave the browser (app/waves/answer_keys.py). The key pair is made when the wave opens;
its private half is kept sealed under the server's secret key and deleted at close.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "answer_key",
        sa.Column("wave_id", sa.String(length=32), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sealed_private_key", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["wave_id"], ["wave.id"], name=op.f("fk_answer_key_wave_id_wave")),
        sa.PrimaryKeyConstraint("wave_id", name=op.f("pk_answer_key")),
    )


def downgrade() -> None:
    op.drop_table("answer_key")
