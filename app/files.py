"""Files the app reads while it runs: read again when they change, and the server's secret
keys, with sealing under them (no other app imports)."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import lru_cache, wraps
from pathlib import Path
from typing import TypeVar

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

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


KEY_BYTES = 32


def secret_key(path: Path) -> bytes:
    """The server's secret key in `path`, made on first use: 32 random bytes, readable by
    the owner only. Workers that start together race to make it; one wins, all read it."""
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(path)
    with os.fdopen(descriptor, "wb") as file:
        file.write(os.urandom(KEY_BYTES))
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        # A half-written or foreign file: refuse rather than run with a weak key.
        raise ValueError(
            f"{path} does not hold a {KEY_BYTES}-byte key; remove it to make a new one"
        )
    return key


NONCE_BYTES = 12


def seal(key: bytes, plain: bytes, purpose: bytes) -> bytes:
    """`plain` encrypted and authenticated under `key` (AES-256-GCM, a random nonce in
    front); `purpose` binds it to one use, so a sealed value moved elsewhere will not open."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plain, purpose)


def unseal(key: bytes, sealed: bytes, purpose: bytes) -> bytes:
    """The plain bytes of `seal(key, plain, purpose)`; cryptography's InvalidTag when the
    key, the purpose or a byte differs."""
    return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], purpose)
