"""Wave ids as they arrive in URLs."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from app.dependencies import PRINTABLE

WaveId = Annotated[str, Path(pattern=PRINTABLE, description="A wave id, e.g. 2026")]
WaveIdQuery = Annotated[
    str | None, Query(pattern=PRINTABLE, description="Only this (closed) wave, e.g. 2026")
]
