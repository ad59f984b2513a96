"""Wave ids as they arrive in URLs."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

# No id has a control character, and PostgreSQL cannot even look up a text with NUL in
# it: such an id is refused as invalid input (422) before it reaches the database.
PRINTABLE = r"^[^\x00-\x1f\x7f]+$"

WaveId = Annotated[str, Path(pattern=PRINTABLE, description="A wave id, e.g. 2026")]
WaveIdQuery = Annotated[
    str | None, Query(pattern=PRINTABLE, description="Only this (closed) wave, e.g. 2026")
]
