"""a response partition per wave (PostgreSQL)

On PostgreSQL `response` becomes a table partitioned by wave (LIST), with one partition
per wave in the schema `wave_response` (app/waves/partitions.py): closing a wave then
empties its partition into new files (TRUNCATE) instead of deleting a million rows and
vacuuming the whole table afterwards. Existing responses are copied into their waves'
partitions in the order of their (random) ids, and the old table is dropped with its
files. SQLite keeps its one table: nothing changes there.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.waves.partitions import SCHEMA, make_response_partition

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _replace_response(partitioned: bool) -> None:
    """Make `response` anew (partitioned or not), copy the responses over in the order of
    their ids, and drop the old table."""
    op.rename_table("response", "response_old")
    op.execute("ALTER TABLE response_old RENAME CONSTRAINT pk_response TO pk_response_old")
    op.create_table(
        "response",
        sa.Column("wave_id", sa.String(length=32), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("coded", sa.LargeBinary(), nullable=False),
        sa.Column("free_text", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("wave_id", "id", name=op.f("pk_response")),
        **({"postgresql_partition_by": "LIST (wave_id)"} if partitioned else {}),
    )
    if partitioned:
        connection = op.get_bind()
        for wave_id in connection.execute(sa.text("SELECT id FROM wave ORDER BY id")).scalars():
            make_response_partition(connection, wave_id)
    op.execute(
        "INSERT INTO response (wave_id, id, coded, free_text) "
        "SELECT wave_id, id, coded, free_text FROM response_old ORDER BY wave_id, id"
    )
    op.drop_table("response_old")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"CREATE SCHEMA {SCHEMA}")
    _replace_response(partitioned=True)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _replace_response(partitioned=False)
    op.execute(f"DROP SCHEMA {SCHEMA}")
