"""Where attachment files are kept: one interface, `AttachmentStore`, and its local filesystem implementation.

The store knows keys and bytes only; what a file is and who may read it is in the database (`service.py`).
Embedded, files live under the data folder; distributed, under `ATTACHMENTS_DIR`, a volume every chat replica
mounts. An object store (S3-compatible) would be another implementation of the same three calls; none is
shipped yet (`from_settings` is the one place to choose it).
"""

import asyncio
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from services.common.settings import Settings

_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")  # our ids only: never a path


class AttachmentStore(Protocol):
    async def put(self, key: str, data: bytes) -> None:
        """Keep `data` under `key`, whole or not at all (a reader never sees half a file)."""

    async def get(self, key: str) -> bytes | None:
        """The bytes kept under `key`; None when there are none."""

    async def delete(self, key: str) -> None:
        """Forget `key` (nothing kept under it: nothing to do)."""


class LocalFileStore:
    """Files under one folder, two levels (`ab/abcdef...`), written to a temporary file and renamed into place."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not _KEY.fullmatch(key):
            raise ValueError(f"not an attachment key: {key!r}")
        return self.root / key[:2] / key

    async def put(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._write, self._path(key), data)

    async def get(self, key: str) -> bytes | None:
        return await asyncio.to_thread(self._read, self._path(key))

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @staticmethod
    def _read(path: Path) -> bytes | None:
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None


def from_settings(settings: Settings) -> AttachmentStore:
    return LocalFileStore(settings.attachments_path())
