"""The JSON contract: every command's --json output validates against its published schema.

The invocations come from each schema file's `x-hybridfw-examples`, so a new command's schema
file is all it takes to be covered here; a command with --json but no example fails below.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from _support.check import EXAMPLES, M365, STALE_V4, STALE_V6, seed_history
from _support.cli_runner import run_here
from _support.fake_m365_service import FakeService, Reply, answer_bytes, running_service
from hybridfw.schemas import load_schema, schema_names, schema_version

TESTS = Path(__file__).resolve().parents[1]

EXAMPLE_CASES = [(name, tuple(args)) for name in schema_names()
                 for args in (load_schema(name) or {}).get("x-hybridfw-examples", [])]


@pytest.fixture
def service() -> Iterator[FakeService]:
    for svc in running_service():
        svc.version("2026112800")
        svc.on("/changes/Worldwide/2018062700",
               Reply(200, answer_bytes("changes-worldwide-since-2018062700-doc-example.json")))
        yield svc


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fill(args: tuple[str, ...], values: dict[str, str]) -> list[str]:
    return [a.format(**values) for a in args]


@pytest.mark.parametrize(("name", "args"), EXAMPLE_CASES, ids=[" ".join(a[:3]) for _, a in EXAMPLE_CASES])
def test_json_output_matches_its_schema(name: str, args: tuple[str, ...], _isolated_home: Path,
                                        tmp_path: Path, service: FakeService) -> None:
    seed_history(_isolated_home, "2026112800")
    values = {"topology": str(EXAMPLES / "hybrid.toml"), "firewall": str(STALE_V4),
              "firewall6": str(STALE_V6), "service": service.url, "tmp": str(tmp_path),
              "closed": f"127.0.0.1:{closed_port()}",
              "answer": str(M365 / "worldwide-endpoints-fetched-2026-05-29.json"),
              "data": str(TESTS / "data")}
    res = run_here(*fill(args, values), "--json")
    assert "Traceback" not in res.stderr, res.stderr
    assert res.stdout.strip(), (res.returncode, res.stderr)
    doc = json.loads(res.stdout)
    assert isinstance(doc, dict) and next(iter(doc)) == "schema_version"
    assert doc["schema_version"] == schema_version(name)
    schema = load_schema(name)
    errors = sorted(Draft202012Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def json_commands() -> list[tuple[str, ...]]:
    """Every command path of the CLI that has a --json option."""
    import typer.main

    from hybridfw.cli import app

    found: list[tuple[str, ...]] = []

    def walk(cmd: object, path: tuple[str, ...]) -> None:
        if any("--json" in getattr(p, "opts", ()) for p in getattr(cmd, "params", ())):
            found.append(path)
        for name, sub in (getattr(cmd, "commands", None) or {}).items():
            walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return found


def test_every_json_command_has_a_schema_with_an_example() -> None:
    covered = {tuple(w for w in args if not w.startswith(("-", "{")))[:len(args)]
               for _, args in EXAMPLE_CASES}
    commands = json_commands()
    assert ("check",) in commands and ("endpoints", "show") in commands
    for path in commands:
        assert any(c[:len(path)] == path for c in covered), (
            f"`hybridfw {' '.join(path)} --json` has no schema example: add "
            f"src/hybridfw/schemas/{'-'.join(path)}.json (see docs/conventions.md)")


@pytest.mark.parametrize("name", schema_names())
def test_schemas_are_valid_and_print(name: str) -> None:
    schema = load_schema(name)
    assert schema is not None
    Draft202012Validator.check_schema(schema)
    assert schema["properties"]["schema_version"]["const"] >= 1
    assert "schema_version" in schema["required"]
    res = run_here("schema", *name.split("-"))
    assert res.returncode == 0 and json.loads(res.stdout) == schema


def test_unknown_schema_is_an_input_error() -> None:
    res = run_here("schema", "nope")
    assert res.returncode == 2 and "endpoints show" in res.stderr and "Traceback" not in res.stderr


def test_a_bad_document_fails_the_schema() -> None:
    """The schemas can fail: a check document calling an unchecked flow ready does not pass."""
    schema = load_schema("check")
    assert schema is not None
    validator = Draft202012Validator(schema)
    assert not validator.is_valid({"schema_version": 1, "verdict": "all good"})
