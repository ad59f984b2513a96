"""why a figure is suppressed

Each suppressed figure keeps its reason: `min_cell`, `complementary`, `coverage` or
`no_interval` (CONTRACT section 7). Figures stored before keep NULL: their reason was
not recorded and is not guessed.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REASONS = "('min_cell', 'complementary', 'coverage', 'no_interval')"


def upgrade() -> None:
    with op.batch_alter_table("estimate", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.String(length=16), nullable=True))
        batch_op.create_check_constraint(
            "reason", f"reason IS NULL OR (suppressed AND reason IN {REASONS})"
        )


def downgrade() -> None:
    with op.batch_alter_table("estimate", schema=None) as batch_op:
        batch_op.drop_constraint("reason", type_="check")
        batch_op.drop_column("reason")
