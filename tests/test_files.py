"""app/files.py: a reader's result is kept until its file changes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.files import reread_on_change


def test_a_file_is_read_again_only_when_it_changes(tmp_path: Path):
    calls: list[Path] = []

    @reread_on_change(maxsize=2)
    def read(path: Path) -> str:
        calls.append(path)
        return path.read_text(encoding="utf-8")

    path = tmp_path / "f.txt"
    path.write_text("one", encoding="utf-8")
    assert read(path) == read(path) == "one"
    assert len(calls) == 1

    path.write_text("two!", encoding="utf-8")  # another size
    assert read(path) == "two!"
    stat = path.stat()
    path.write_text("six!", encoding="utf-8")  # same size, later modification time
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert read(path) == "six!"
    assert len(calls) == 3


def test_a_missing_file_is_an_oserror_before_the_reader_runs(tmp_path: Path):
    @reread_on_change(maxsize=1)
    def read(path: Path) -> str:
        raise AssertionError("not called")

    with pytest.raises(OSError):
        read(tmp_path / "missing.txt")
