"""The console's API types are the served OpenAPI's (issue 13, item 11): the committed `clients/console/openapi.json`
is what the product serves, and `clients/console/src/api/schema.ts` is what openapi-typescript makes of it. A route,
a field or a schema changed without `make api-types` fails here, with the operations and schemas that moved."""

import json
import subprocess

from scripts.openapi_snapshot import ROOT, SNAPSHOT, differences, served_document

CONSOLE = ROOT / "clients" / "console"
GENERATOR = CONSOLE / "node_modules" / ".bin" / "openapi-typescript"


def test_the_committed_document_is_the_one_the_product_serves() -> None:
    committed = json.loads(SNAPSHOT.read_text())
    served = served_document()
    assert committed == served, "run `make api-types`:\n" + "\n".join(differences(committed, served))


def test_the_console_types_are_generated_from_the_committed_document() -> None:
    assert GENERATOR.exists(), "the console's node_modules are missing: `make build` installs them"
    generated = subprocess.run(
        [str(GENERATOR), "openapi.json"], cwd=CONSOLE, capture_output=True, text=True, check=True, timeout=120
    ).stdout
    committed = (CONSOLE / "src" / "api" / "schema.ts").read_text()
    assert generated.strip() == committed.strip(), "src/api/schema.ts was edited or not regenerated: `make api-types`"
