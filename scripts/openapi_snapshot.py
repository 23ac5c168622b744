"""The public OpenAPI document as the product serves it, written to `clients/console/openapi.json`, from which the
console's build generates its API types (`openapi-typescript` -> `clients/console/src/api/schema.ts`).

`python scripts/openapi_snapshot.py` starts the embedded mode on a free port in a fresh data directory, reads
`/api/openapi.json` and writes the file (`--check`: exits 1 when the committed file differs, and says where).
`tests/services/test_console_api_types.py` runs the same check in `make test`."""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "clients" / "console" / "openapi.json"
START_SECONDS = 90


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def served_document() -> dict[str, Any]:
    """`/api/openapi.json` of the embedded mode, started for this and stopped afterwards."""
    with tempfile.TemporaryDirectory(prefix="fw-openapi-") as data_dir:
        port = _free_port()
        env = {
            **os.environ,
            "FW_MODE": "embedded",
            "FW_DATA_DIR": data_dir,
            "PORT": str(port),
            "PUBLIC_URL": f"http://127.0.0.1:{port}",
            "METRICS_PORT": "0",
            "DEMO_TRAFFIC": "false",
        }
        for name in ("DATABASE_URL", "REDIS_URL"):
            env.pop(name, None)
        log = Path(data_dir) / "embedded.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "services.embedded"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        try:
            deadline = time.monotonic() + START_SECONDS
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"the embedded mode stopped:\n{log.read_text()}")
                try:  # ready: every service answers, so the document is whole
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5):
                        pass
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/openapi.json", timeout=30) as answer:
                        doc: dict[str, Any] = json.loads(answer.read())
                        return doc
                except OSError:
                    if time.monotonic() > deadline:
                        raise TimeoutError("the embedded mode did not start") from None
                    time.sleep(0.3)
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()


def as_text(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def differences(committed: dict[str, Any], served: dict[str, Any]) -> list[str]:
    """The operations and schemas that differ, by name (what a developer needs to see which change it was)."""
    found: list[str] = []
    for section in ("paths", "components"):
        left, right = committed.get(section, {}), served.get(section, {})
        if section == "components":
            left, right = left.get("schemas", {}), right.get("schemas", {})
        for key in sorted(set(left) | set(right)):
            if left.get(key) != right.get(key):
                state = "new" if key not in left else "gone" if key not in right else "changed"
                found.append(f"{section} {key}: {state}")
    return found or ["the documents differ outside paths and schemas"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare with the committed file instead of writing it")
    args = parser.parse_args()
    served = served_document()
    if args.check:
        committed = json.loads(SNAPSHOT.read_text()) if SNAPSHOT.exists() else {}
        if committed == served:
            return 0
        print(
            f"{SNAPSHOT.relative_to(ROOT)} is not what the product serves:", *differences(committed, served), sep="\n  "
        )
        print("Run `make api-types` and commit the result.")
        return 1
    SNAPSHOT.write_text(as_text(served))
    print(f"wrote {SNAPSHOT.relative_to(ROOT)}: {len(served.get('paths', {}))} paths")
    return 0


if __name__ == "__main__":
    sys.exit(main())
