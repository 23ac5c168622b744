"""The signing secrets: which values are refused, and the random ones the embedded mode keeps in its data folder.

`JWT_SECRET` signs operators' and visitors' tokens; `INTERNAL_SECRET` signs the identity the gateway
forwards to the services. Set, they must be long random values (never the old public development ones);
unset in the embedded mode, each is generated once at first start and kept in `<FW_DATA_DIR>/secrets.json`
(mode 0600), so tokens survive a restart. The distributed mode refuses to start without them.
"""

import json
import logging
import os
import secrets
import stat
import tempfile
from pathlib import Path

log = logging.getLogger("floorwalker.secrets")

SECRET_NAMES = ("jwt_secret", "internal_secret")
SECRETS_FILE = "secrets.json"
MIN_LENGTH = 32
# The development defaults Floorwalker once shipped with (in its settings and in `scripts/stack.py`), and the
# placeholders of its example manifests: they are public, so a token signed with one proves nothing.
_PUBLIC_PREFIXES = ("dev-insecure-", "stack-local-", "replace-with-", "change-me", "changeme")


def secret_problem(value: str) -> str | None:
    """Why `value` cannot sign tokens (empty, public, too short), or None when it can."""
    if not value:
        return "is not set"
    if value.lower().startswith(_PUBLIC_PREFIXES):
        return "is a public development value"
    if len(value) < MIN_LENGTH:
        return f"is shorter than {MIN_LENGTH} characters"
    return None


def _read(path: Path) -> dict[str, str]:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("%s was readable by others (mode %o): now 0600", path, mode)
        path.chmod(0o600)
    try:
        stored = json.loads(path.read_text())
    except ValueError as exc:
        raise RuntimeError(f"{path} is not valid JSON: delete it to make new secrets") from exc
    if not isinstance(stored, dict) or any(
        not isinstance(stored.get(name), str) or secret_problem(stored[name]) for name in SECRET_NAMES
    ):
        raise RuntimeError(f"{path} does not hold usable {' and '.join(SECRET_NAMES)}: delete it to make new ones")
    return {name: stored[name] for name in SECRET_NAMES}


def data_folder_secrets(folder: Path) -> dict[str, str]:
    """The secrets kept in `folder`, made (random, 256 bits each) the first time.

    Several processes may start at once: the file is written aside and linked into place, which fails
    if another got there first; then theirs is read. It is never seen half written.
    """
    path = folder / SECRETS_FILE
    if path.exists():
        return _read(path)
    folder.mkdir(parents=True, exist_ok=True)
    made = {name: secrets.token_hex(32) for name in SECRET_NAMES}
    fd, aside = tempfile.mkstemp(dir=folder, prefix=".secrets-")  # created with mode 0600
    try:
        with os.fdopen(fd, "w") as file:
            json.dump(made, file)
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(aside, path)
        except FileExistsError:
            return _read(path)
    finally:
        os.unlink(aside)
    log.info("made new signing secrets in %s", path)
    return made
