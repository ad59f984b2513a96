"""Engine, declarative base and the session that owns the transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

# Stable constraint names, so that Alembic never has to drop an unnamed constraint.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the per-backend settings the intake's guarantees rely on.

    Statement parameters are never put in error messages or logs: they can hold answers
    and code hashes.
    """
    if is_sqlite(url):
        # One connection per process: SQLite has one writer at a time anyway, and
        # threads queueing on the pool hand over at once, where connections queueing on
        # SQLite's busy handler poll with sleeps and stall under load.
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            hide_parameters=True,
            **({"pool_size": 1, "max_overflow": 0, "pool_timeout": 60} | kwargs),
        )
        _configure_sqlite(engine)
        return engine
    # As many connections as request threads (anyio's default 40), so that no request
    # waits for a connection while its thread is idle.
    return create_engine(
        url,
        pool_pre_ping=True,
        hide_parameters=True,
        **({"pool_size": 20, "max_overflow": 20} | kwargs),
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # A rollback journal, not WAL: a write-ahead log keeps old page images (a spent
        # code's hash next to the response that spent it) in a file until checkpoint.
        cursor.execute("PRAGMA journal_mode=DELETE")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Deleted rows (spent codes, resume data, rows moved at close) are overwritten,
        # not left readable in free pages of the file.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return
        # IMMEDIATE takes the write lock at the start: concurrent writers queue instead
        # of failing with "database is locked" when a read upgrades to a write.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def insert_new(session: Session, table: type[Base], rows: list[dict[str, Any]]) -> set[str]:
    """Insert the rows whose primary key (a single text column) is not there yet; the keys
    this transaction inserted. Concurrent inserts of one key store it once: the later
    transaction waits for the earlier and then finds it (PostgreSQL; SQLite has one
    writer at a time)."""
    if not rows:
        return set()
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    (key,) = table.__mapper__.primary_key
    statement = insert(table).values(rows).on_conflict_do_nothing().returning(key)
    return set(session.scalars(statement))
