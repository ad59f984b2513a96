"""Files the app reads while it runs and reads again when they change (no other app imports)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def reread_on_change(maxsize: int) -> Callable[[Callable[[Path], T]], Callable[[Path], T]]:
    """Keep what `reader(path)` returned until the file changes: the result is cached by
    path, modification time (ns) and size, so a file replaced or edited is read again.
    The file is looked at (`stat`) first: OSError if it is not there, before the reader
    runs. A reader that raises caches nothing, and is tried again on the next call."""

    def decorate(reader: Callable[[Path], T]) -> Callable[[Path], T]:
        @lru_cache(maxsize=maxsize)
        def cached(path: Path, _mtime_ns: int, _size: int) -> T:
            return reader(path)

        @wraps(reader)
        def read(path: Path) -> T:
            stat = path.stat()
            return cached(path, stat.st_mtime_ns, stat.st_size)

        return read

    return decorate
