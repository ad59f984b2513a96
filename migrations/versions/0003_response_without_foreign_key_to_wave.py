"""response without foreign key to wave

A foreign key check share-locks the wave row on PostgreSQL: it would record the latest
response's transaction in the wave row and serialise submissions on it (see
app/responses/models.py).

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_response_wave_id_wave"), type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_response_wave_id_wave"), "wave", ["wave_id"], ["id"]
        )
