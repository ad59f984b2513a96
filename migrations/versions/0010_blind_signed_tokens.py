"""blind-signed tokens

A wave may take part with tokens (RFC 9474 blind signatures) besides codes: the wave's
key pair (`token_key`), who has had a token (`token_issue`, a keyed hash of the sign-in's
subject) and the tokens used (`spent_token`, hashes of their messages). The last two are
WITHOUT ROWID tables on SQLite, so that no rowid counts their arrivals (app/waves/models.py).

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "wave", sa.Column("tokens", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.create_table(
        "token_key",
        sa.Column("wave_id", sa.String(32), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sealed_private_key", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["wave_id"], ["wave.id"], name=op.f("fk_token_key_wave_id_wave")),
        sa.PrimaryKeyConstraint("wave_id", name=op.f("pk_token_key")),
    )
    for table, key in (("token_issue", "subject_hash"), ("spent_token", "msg_hash")):
        op.create_table(
            table,
            sa.Column(key, sa.String(64), nullable=False),
            sa.Column("wave_id", sa.String(32), nullable=False),
            sa.PrimaryKeyConstraint(key, name=op.f(f"pk_{table}")),
            sqlite_with_rowid=False,
        )
        op.create_index(op.f(f"ix_{table}_wave_id"), table, ["wave_id"])


def downgrade() -> None:
    for table in ("spent_token", "token_issue"):
        op.drop_index(op.f(f"ix_{table}_wave_id"), table_name=table)
        op.drop_table(table)
    op.drop_table("token_key")
    op.drop_column("wave", "tokens")
