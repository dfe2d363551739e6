"""Lazy commands: a run of one command imports and registers only that command's module, and
says exactly what the whole command tree says (help texts, errors, exit codes)."""

from __future__ import annotations

import click
import pytest
import typer.main
from tests._support.cli_runner import Ran, run_here

from _support.child import python_output
from hybridfw import cli
from hybridfw.commands import COMMANDS, NEEDS_ALL
from hybridfw.plugins import names


def _paths() -> list[list[str]]:
    """Every command and sub-command of the whole tree, as argv prefixes."""
    root = typer.main.get_command(cli.make_app())
    ctx = click.Context(root)
    found: list[list[str]] = []

    def walk(command: click.Command, path: list[str]) -> None:
        for name in getattr(command, "list_commands", lambda _ctx: [])(ctx):
            found.append([*path, name])
            walk(command.get_command(ctx, name), [*path, name])  # type: ignore[attr-defined]

    walk(root, [])
    return found


def _whole_tree(monkeypatch: pytest.MonkeyPatch, *args: str) -> Ran:
    with monkeypatch.context() as patched:
        patched.setattr(cli, "command_named", lambda argv: None)
        return run_here(*args, env={"COLUMNS": "100"})


PATHS = _paths()


def test_every_plugin_registers_its_own_command() -> None:
    tops = {path[0] for path in PATHS}
    assert set(names(COMMANDS)) <= tops
    for plugin in COMMANDS:
        alone = typer.main.get_command(cli.make_app(plugin.name)).commands  # type: ignore[attr-defined]
        assert plugin.name in alone
        assert set(alone) <= tops


# Every command's --help; bare: the groups' command lists and two usage errors.
LINES = [[*path, "--help"] for path in PATHS] + [
    path for path in PATHS if path[0] in ("endpoints", "feeds", "audit", "flows") and len(path) == 1]


@pytest.mark.parametrize("argv", LINES, ids=" ".join)
def test_lazy_run_says_what_the_whole_tree_says(
        monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> None:
    lazy = run_here(*argv, env={"COLUMNS": "100"})
    assert lazy == _whole_tree(monkeypatch, *argv)
    assert lazy.stdout or lazy.stderr


@pytest.mark.parametrize("argv", [
    ["-v", "audit", "--bogus"], ["audit", "--help", "-v"], ["--allow-any", "flows", "--help"],
    ["audt"], ["help", "audit"], ["--version"], ["-V", "audit"], ["--", "audit"],
])
def test_odd_command_lines_say_the_same(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> None:
    assert run_here(*argv, env={"COLUMNS": "100"}) == _whole_tree(monkeypatch, *argv)


def test_command_named() -> None:
    assert cli.command_named(["audit", "x"]) == "audit"
    assert cli.command_named(["-v", "--allow-any", "endpoints", "show"]) == "endpoints"
    assert cli.command_named(["--help", "audit"]) is None  # the root's help: every command
    assert cli.command_named(["-V", "audit"]) is None
    assert cli.command_named(["feeds", "export"]) is None  # not a plug-in's name: whole tree
    assert cli.command_named([]) is None
    for name in NEEDS_ALL:
        assert cli.command_named([name, "audit"]) is None


def test_an_audit_run_imports_no_other_command() -> None:
    code = ("import sys; sys.argv = ['hybridfw', 'audit', '--help']\n"
            "from hybridfw.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('hybridfw.commands.')))")
    assert python_output(code).strip().splitlines()[-1] == "['hybridfw.commands._common', " \
        "'hybridfw.commands.audit']"


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_the_version_alone_says_what_the_whole_tree_says_without_typer(
        monkeypatch: pytest.MonkeyPatch, flag: str) -> None:
    """`hybridfw --version` prints from the entry module (hybridfw.entry) and imports neither
    the command line nor typer, click or rich; its answer is the whole tree's."""
    code = ("import sys, io, contextlib; sys.argv = ['hybridfw', sys.argv[1]]\n"
            "from hybridfw.entry import main\n"
            "out = io.StringIO()\n"
            "with contextlib.redirect_stdout(out):\n"
            "    try:\n        main()\n    except SystemExit as exc:\n        code = exc.code\n"
            "print(repr(out.getvalue()), code)\n"
            "print(sorted(m for m in ('typer', 'click', 'rich', 'hybridfw.cli', 'hybridfw.commands')"
            " if m in sys.modules))")
    said, imported = python_output(code, flag).strip().splitlines()
    whole = _whole_tree(monkeypatch, flag)
    assert said == f"{whole.stdout!r} {whole.returncode}" and whole.stderr == ""
    assert imported == "[]"
