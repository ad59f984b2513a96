"""On PostgreSQL each wave's responses lie in a table of their own: a partition of
`response` (LIST by wave), named after the wave in the schema `wave_response`, made in
the transaction that creates the wave. Closing a wave can then give that table new files
and empty the old ones (TRUNCATE, app.closing.seal) without touching any other wave's
responses, and nothing of the intake (no row, no dead tuple, no xmin) outlives the close.

The partition is made with the wave, not at its first response: the catalogue rows of a
table made at the first insert would carry the transaction id of a submission. SQLite
keeps one table (`WITHOUT ROWID`, its key (wave, random id)) and needs none of this."""

from __future__ import annotations

from sqlalchemy import Connection, String, literal, text

SCHEMA = "wave_response"


def response_partition(connection: Connection, wave_id: str) -> str:
    """The wave's partition, quoted for SQL."""
    quote = connection.dialect.identifier_preparer.quote_identifier
    return f"{quote(SCHEMA)}.{quote(wave_id)}"


def make_response_partition(connection: Connection, wave_id: str) -> None:
    """The table that takes the wave's responses (PostgreSQL; nothing on SQLite)."""
    if connection.dialect.name != "postgresql":
        return
    value = literal(wave_id, String).compile(
        dialect=connection.dialect, compile_kwargs={"literal_binds": True}
    )
    connection.execute(
        text(
            f"CREATE TABLE {response_partition(connection, wave_id)} "
            f"PARTITION OF response FOR VALUES IN ({value})"
        )
    )
