from __future__ import annotations

from datetime import date

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

WAVE_STATUSES = ("draft", "open", "closed")


class Wave(Base):
    __tablename__ = "wave"
    __table_args__ = (
        CheckConstraint(f"status IN {WAVE_STATUSES!r}", name="status"),
        CheckConstraint("opens_at <= closes_at", name="dates"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    questionnaire_id: Mapped[str] = mapped_column(ForeignKey("questionnaire_version.id"))
    opens_at: Mapped[date] = mapped_column(Date)
    closes_at: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    # A pilot is never public and never the reference of a change (app.waves.service).
    pilot: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The day `monitor wave publish` made a closed wave's figures public; None until then.
    published_on: Mapped[date | None] = mapped_column(Date)
    # Staff may take part with a blind-signed token from their intranet sign-in, besides
    # codes (app/waves/tokens.py); the wave's key pair is made when it opens.
    tokens: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    @property
    def state(self) -> str:
        """The state as operators name it: created, open, closed or published."""
        if self.published_on is not None:
            return "published"
        return "created" if self.status == "draft" else self.status


class FrameCell(Base):
    """Headcount of one weighting cell in a wave's population frame (no personal data)."""

    __tablename__ = "frame_cell"
    __table_args__ = (CheckConstraint("headcount > 0", name="headcount_positive"),)

    wave_id: Mapped[str] = mapped_column(ForeignKey("wave.id"), primary_key=True)
    organisation: Mapped[str] = mapped_column(String(32), primary_key=True)
    unit: Mapped[str] = mapped_column(String(32), primary_key=True)
    function_group: Mapped[str] = mapped_column(String(32), primary_key=True)
    headcount: Mapped[int] = mapped_column(Integer)


class InvitationCode(Base):
    """An unspent code, as its hash only. Spending deletes the row, so a spent code
    looks exactly like one that was never issued."""

    __tablename__ = "invitation_code"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    wave_id: Mapped[str] = mapped_column(ForeignKey("wave.id"), index=True)


class AnswerKey(Base):
    """The key pair to which the survey page encrypts a wave's answers (app/waves/
    answer_keys.py): made when the wave opens, deleted when it closes. The private key is
    kept sealed under the server's secret key."""

    __tablename__ = "answer_key"

    wave_id: Mapped[str] = mapped_column(ForeignKey("wave.id"), primary_key=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # DER SubjectPublicKeyInfo
    sealed_private_key: Mapped[bytes] = mapped_column(LargeBinary)  # sealed PKCS#8 DER


# The token tables keep no order: on SQLite they are WITHOUT ROWID tables, stored in the
# order of their random-looking keys, where a rowid would count arrivals. Neither has a
# foreign key to the wave, for the reason the response has none (app/responses/models.py).


class TokenKey(Base):
    """An open token wave's RSA key pair: the public key as DER, the private key sealed
    under MONITOR_TOKEN_SECRET_FILE. Deleted when the wave closes: no token of the wave
    can be made after that."""

    __tablename__ = "token_key"

    wave_id: Mapped[str] = mapped_column(ForeignKey("wave.id"), primary_key=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sealed_private_key: Mapped[bytes] = mapped_column(LargeBinary)


class TokenIssue(Base):
    """A staff member who has had the wave's token: a keyed hash of the sign-in's subject
    and the wave, nothing else (no time, no order, nothing of the request)."""

    __tablename__ = "token_issue"
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012 (read by SQLAlchemy once)

    subject_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    wave_id: Mapped[str] = mapped_column(String(32), index=True)


class SpentToken(Base):
    """A token that has been used: the hash of its message. Kept while the wave is open so
    that a token works once; deleted at close with the rest of the token tables."""

    __tablename__ = "spent_token"
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012 (read by SQLAlchemy once)

    msg_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    wave_id: Mapped[str] = mapped_column(String(32), index=True)
