"""audit actor holds whole single sign-on subjects

Subjects were cut at 64 characters, so two actors could be logged as one
(app/auth/dependencies.py `sso_actor`).

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.alter_column(
            "actor", existing_type=sa.String(length=64), type_=sa.String(length=255)
        )


def downgrade() -> None:
    # PostgreSQL refuses this while an actor is longer than 64 characters: shorten those first.
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.alter_column(
            "actor", existing_type=sa.String(length=255), type_=sa.String(length=64)
        )
