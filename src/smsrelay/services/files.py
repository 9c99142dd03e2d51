"""Use case: file uploads (X19), kept for sender registrations (X6 ``file@id``).

The bytes go to ``<directory>/<account id>/<random name>`` (never a client-chosen path), the
row to the database; the id is the row's. Each upload is size-bounded; a refused or failed
upload leaves nothing behind. An account may keep at most ``max_files`` files of at most
``max_total_bytes`` together (docs/security.md); one account's uploads are checked and stored
one at a time (per process), so concurrent uploads cannot overshoot the quota together.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final, Protocol

from ..clock import Clock
from ..domain.accounts import Account

__all__ = [
    "DEFAULT_MAX_FILES",
    "DEFAULT_MAX_TOTAL_BYTES",
    "DEFAULT_MAX_UPLOAD_BYTES",
    "FileRefused",
    "FileService",
    "FileStore",
    "FileUsage",
    "StoredFile",
]

DEFAULT_MAX_UPLOAD_BYTES: Final = 5 * 1024 * 1024
DEFAULT_MAX_FILES: Final = 200
DEFAULT_MAX_TOTAL_BYTES: Final = 200 * 1024 * 1024
_MAX_NAME_CHARS: Final = 255
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")


class FileRefused(Exception):
    """The upload cannot be stored (empty, too large, or the disk refused it)."""


@dataclass(frozen=True, slots=True)
class StoredFile:
    filename: str  # the client's name, sanitized (for operators only)
    content_type: str
    size: int
    stored_name: str  # relative to the upload directory


class FileStore(Protocol):
    async def add_file(self, account_id: int, file: StoredFile, now: datetime) -> int: ...
    async def file_of(self, account_id: int, file_id: int) -> StoredFile | None: ...


class FileUsage(Protocol):
    async def file_usage(self, account_id: int) -> tuple[int, int]:
        """(number of files, total bytes) the account has stored."""
        ...


def _clean(text: str, default: str) -> str:
    text = _UNSAFE.sub("_", text).strip()[:_MAX_NAME_CHARS]
    return text or default


class FileService:
    def __init__(
        self,
        store: FileStore,
        directory: Path,
        clock: Clock,
        *,
        max_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
        usage: FileUsage | None = None,
        max_files: int = DEFAULT_MAX_FILES,
        max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
    ) -> None:
        if max_bytes < 1 or max_files < 1 or max_total_bytes < 1:
            raise ValueError("max_bytes, max_files and max_total_bytes must be positive")
        self._store = store
        self._directory = directory
        self._clock = clock
        self._max_bytes = max_bytes
        self._usage = usage
        self._max_files = max_files
        self._max_total_bytes = max_total_bytes
        self._locks: dict[int, asyncio.Lock] = {}

    @property
    def max_bytes(self) -> int:
        return self._max_bytes

    def path_of(self, file: StoredFile) -> Path:
        return self._directory / file.stored_name

    async def save(self, account: Account, filename: str, content_type: str, data: bytes) -> int:
        """Store one upload; its id. Raises :class:`FileRefused`."""
        if not data or len(data) > self._max_bytes:
            raise FileRefused("empty or too large")
        # one lock per account that ever uploads (bounded by the accounts, not by requests)
        async with self._locks.setdefault(account.id, asyncio.Lock()):
            if self._usage is not None:
                count, total = await self._usage.file_usage(account.id)
                if count >= self._max_files or total + len(data) > self._max_total_bytes:
                    raise FileRefused("upload quota used up")
            return await self._save(account, filename, content_type, data)

    async def _save(self, account: Account, filename: str, content_type: str, data: bytes) -> int:
        stored = StoredFile(
            filename=_clean(filename, "file"),
            content_type=_clean(content_type, "application/octet-stream"),
            size=len(data),
            stored_name=f"{account.id}/{secrets.token_hex(16)}",
        )
        path = self.path_of(stored)
        try:
            await asyncio.to_thread(_write, path, data)
        except OSError as exc:
            raise FileRefused("cannot write the file") from exc
        try:
            return await self._store.add_file(account.id, stored, self._clock.now())
        except BaseException:
            await asyncio.to_thread(path.unlink, True)
            raise

    async def file_of(self, account: Account, file_id: int) -> StoredFile | None:
        return await self._store.file_of(account.id, file_id)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
