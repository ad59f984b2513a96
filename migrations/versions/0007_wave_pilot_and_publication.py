"""wave pilot and publication

A pilot wave is never public and never the reference of a change; a closed wave's
figures are public only from the day `monitor wave publish` records (app/waves/service.py).
Waves closed before this migration were public as soon as they closed, so they count as
published on their closing date.

Revision ID: 0007
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs: on SQLite a batch rebuild of `wave` would drop a table that every
    # frame, code and figure refers to.
    op.add_column(
        "wave", sa.Column("pilot", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column("wave", sa.Column("published_on", sa.Date(), nullable=True))
    op.execute("UPDATE wave SET published_on = closes_at WHERE status = 'closed'")


def downgrade() -> None:
    op.drop_column("wave", "published_on")
    op.drop_column("wave", "pilot")
