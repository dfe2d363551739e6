"""The JSON contract: one JSON Schema file per command, shipped inside the package.

Every `--json` document is an object whose first key is `schema_version` (an integer, raised
when a key is removed or changes meaning; adding a key keeps it) and whose endpoint-data block,
where the command uses endpoint data, is named `data` (`EndpointData.summary()`). The schema of command
`hybridfw endpoints show` is the file `endpoints-show.json` here; a subcommand without a file of
its own uses its group's (`probe-smtp` → `probe.json`). Definitions shared by many schemas
(`finding`, `data`, `count`) live in `_defs.json` and are merged into each schema's `$defs` when
it is loaded, so every schema printed by `hybridfw schema NAME` stands alone.

Adding a command's schema is one file: `src/hybridfw/schemas/<command-path>.json` with
`properties.schema_version.const` and `x-hybridfw-example` (the arguments the contract test runs
it with); `console.print_json` stamps the version of the schema of the running command.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

_DEFS = "_defs"


def _read(name: str) -> dict[str, Any] | None:
    from hybridfw.paths import shipped_bytes

    try:
        raw = shipped_bytes(__name__, f"{name}.json")
    except (FileNotFoundError, IsADirectoryError):
        return None
    doc: dict[str, Any] = json.loads(raw.decode("utf-8"))
    return doc


@cache
def load_schema(name: str) -> dict[str, Any] | None:
    """The schema named `name` (e.g. 'endpoints-show'), shared definitions merged in; None when
    there is none."""
    own = _read(name)
    if own is None:
        return None
    shared = _read(_DEFS) or {}
    return {**own, "$defs": {**shared.get("$defs", {}), **own.get("$defs", {})}}


def schema_names() -> tuple[str, ...]:
    """Every published schema, sorted."""
    from importlib import resources

    files = resources.files(__name__).iterdir()
    return tuple(sorted(f.name.removesuffix(".json") for f in files
                        if f.name.endswith(".json") and not f.name.startswith("_")))


def schema_version(name: str) -> int:
    """The version the schema `name` publishes; 0 (and a logged warning) when there is no such
    schema file: a programming error the contract test catches, never a crash for a user."""
    schema = load_schema(name)
    if schema is None:
        import logging

        logging.getLogger(__name__).warning("no JSON schema file %s.json", name)
        return 0
    return int(schema["properties"]["schema_version"]["const"])


def stamp(doc: dict[str, Any], name: str) -> dict[str, Any]:
    """`doc` with the schema's `schema_version` first (replacing any the document carried)."""
    return {"schema_version": schema_version(name),
            **{k: v for k, v in doc.items() if k != "schema_version"}}
