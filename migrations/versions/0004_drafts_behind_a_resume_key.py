"""drafts behind a resume key

A draft is now found and sealed with a key derived from the code and the respondent's
resume key (app/responses/drafts.py), and tagged with its code so that a submission
deletes it. Drafts saved before this cannot be read under the new derivation: they are
deleted (the code still submits). The foreign key to the wave goes, as the response's
did (0003): checking it share-locks the wave row on PostgreSQL, which would write the
saving transaction into that row.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM resume_state")
    with op.batch_alter_table("resume_state", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_resume_state_wave_id_wave"), type_="foreignkey")
        batch_op.add_column(sa.Column("code_tag", sa.String(length=64), nullable=False))
        batch_op.create_index(batch_op.f("ix_resume_state_code_tag"), ["code_tag"], unique=False)


def downgrade() -> None:
    op.execute("DELETE FROM resume_state")
    with op.batch_alter_table("resume_state", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resume_state_code_tag"))
        batch_op.drop_column("code_tag")
        batch_op.create_foreign_key(
            batch_op.f("fk_resume_state_wave_id_wave"), "wave", ["wave_id"], ["id"]
        )
