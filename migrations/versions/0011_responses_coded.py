"""responses coded

Answers are stored as one record of small numbers per response (`coded`, see
app/responses/coded.py) with the words of free-text answers apart (`free_text`), instead
of a JSON text: a wave loads into columns without parsing a text per response. The key
becomes (wave_id, id) and the SQLite table has no rowid, so that a wave's responses lie
together and closing rewrites one stretch of the table.

Existing responses are converted with the coding of this revision (format 1) and their
questionnaire versions as published; their order stays unrelated to arrival (the key's
id is random).

Revision ID: 0011
Revises: 0010
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.questionnaires.loader import from_canonical
from app.responses.coded import decode, encode

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 10_000


def _versions(responses: str) -> dict[str, object]:
    """The questionnaire version of each wave with responses in the table `responses`."""
    rows = op.get_bind().execute(
        sa.text(
            "SELECT w.id, q.definition FROM wave w "  # noqa: S608 (fixed table names)
            "JOIN questionnaire_version q ON q.id = w.questionnaire_id "
            f"WHERE w.id IN (SELECT wave_id FROM {responses})"
        )
    )
    return {wave_id: from_canonical(definition) for wave_id, definition in rows}


def _set_aside(old: str) -> None:
    """Rename `response` to `old`, its key's name out of the new table's way."""
    op.rename_table("response", old)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {old} RENAME CONSTRAINT pk_response TO pk_{old}")


def upgrade() -> None:
    op.drop_index("ix_response_wave_id", table_name="response")
    _set_aside("response_json")
    op.create_table(
        "response",
        sa.Column("wave_id", sa.String(length=32), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("coded", sa.LargeBinary(), nullable=False),
        sa.Column("free_text", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("wave_id", "id", name=op.f("pk_response")),
        sqlite_with_rowid=False,
    )
    connection = op.get_bind()
    new = sa.table(
        "response",
        sa.column("wave_id"),
        sa.column("id"),
        sa.column("coded"),
        sa.column("free_text"),
    )
    for wave_id, questionnaire in _versions("response_json").items():
        rows = connection.execute(
            sa.text("SELECT id, answers FROM response_json WHERE wave_id = :w"), {"w": wave_id}
        ).all()
        for first in range(0, len(rows), BATCH):
            batch = rows[first : first + BATCH]
            coded = encode(questionnaire, [json.loads(answers) for _, answers in batch])  # type: ignore[arg-type]
            connection.execute(
                new.insert(),
                [
                    {"wave_id": wave_id, "id": row_id, "coded": c, "free_text": t}
                    for (row_id, _), (c, t) in zip(batch, coded, strict=True)
                ],
            )
    op.drop_table("response_json")


def downgrade() -> None:
    _set_aside("response_coded")
    op.create_table(
        "response",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("wave_id", sa.String(length=32), nullable=False),
        sa.Column("answers", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response")),
    )
    op.create_index("ix_response_wave_id", "response", ["wave_id"], unique=False)
    connection = op.get_bind()
    old = sa.table("response", sa.column("id"), sa.column("wave_id"), sa.column("answers"))
    for wave_id, questionnaire in _versions("response_coded").items():
        rows = connection.execute(
            sa.text("SELECT id, coded, free_text FROM response_coded WHERE wave_id = :w"),
            {"w": wave_id},
        ).all()
        answers = decode(questionnaire, [(coded, text) for _, coded, text in rows])  # type: ignore[arg-type]
        if rows:
            connection.execute(
                old.insert(),
                [
                    {
                        "id": row_id,
                        "wave_id": wave_id,
                        "answers": json.dumps(
                            a, sort_keys=True, separators=(",", ":"), ensure_ascii=False
                        ),
                    }
                    for (row_id, _, _), a in zip(rows, answers, strict=True)
                ],
            )
    op.drop_table("response_coded")
