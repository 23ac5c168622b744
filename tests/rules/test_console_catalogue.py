"""The console's rules editor offers every leaf condition the server takes, and only those: the condition
types of its catalogue (`CONDITION_TYPES` in clients/console/src/lib/rules.ts) against the engine's models
(`engine.conditions.Leaf`). A new condition type on the server without its editor (or a renamed one) fails."""

import re
import typing
from pathlib import Path

from services.rules.engine.conditions import Leaf

CATALOGUE = Path(__file__).resolve().parents[2] / "clients/console/src/lib/rules.ts"


def console_types() -> list[str]:
    """The `type` of each catalogue entry: `{ type: "x", ...` and `textTest("x", ...)`."""
    text = CATALOGUE.read_text(encoding="utf-8")
    start = text.index("export const CONDITION_TYPES")
    end = text.index("\n];", start)
    body = text[start:end]
    return re.findall(r'^\s*(?:\{\s*type: "|textTest\(\s*")([a-z_]+)"', body, flags=re.MULTILINE)


def server_types() -> set[str]:
    found = set()
    for model in typing.get_args(Leaf):
        (tag,) = typing.get_args(model.model_fields["type"].annotation)
        found.add(tag)
    return found


def test_the_console_catalogue_has_every_server_leaf_condition_once() -> None:
    listed = console_types()
    assert len(server_types()) >= 30  # the parse of the models found them
    assert sorted(listed) == sorted(set(listed)), "a condition type is in the console's catalogue twice"
    missing, unknown = server_types() - set(listed), set(listed) - server_types()
    assert not missing, f"the console's rules editor cannot add: {sorted(missing)} (add them to CONDITION_TYPES)"
    assert not unknown, f"the console offers condition types the server refuses: {sorted(unknown)}"
