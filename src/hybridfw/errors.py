"""The exception hierarchy every package raises from, mapped to the CLI's exit codes.

0 = all good, 1 = problems found, 2 = usage or input error, 3 = upstream/service error.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_INPUT = 2
EXIT_UPSTREAM = 3


class HybridfwError(Exception):
    """Base class. `str(exc)` is the one-line message shown to the user."""

    exit_code = EXIT_INPUT


class InputError(HybridfwError):
    """Bad input from the user: a file, a line, a field, an option. Exit code 2."""

    exit_code = EXIT_INPUT

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        where = ""
        if path is not None:
            where = path if line is None else f"{path}:{line}"
        if field is not None:
            where = f"{where} [{field}]" if where else f"[{field}]"
        super().__init__(f"{where}: {message}" if where else message)
        self.path = path
        self.line = line
        self.field = field


class IntegrityError(HybridfwError):
    """Stored data no longer matches the sha256 recorded when it was stored. Exit code 2."""

    exit_code = EXIT_INPUT


class UpstreamError(HybridfwError):
    """The service or a peer failed or answered something unusable. Exit code 3."""

    exit_code = EXIT_UPSTREAM


class KernelError(HybridfwError):
    """A kernel tool (nft, ipset) is missing, failed or returned something unreadable. Exit 3."""

    exit_code = EXIT_UPSTREAM


class TraceError(InputError):
    """A log file `hybridfw trace` cannot read as any known layout. Exit code 2 (the trace package
    re-raises it as an InputError naming the file)."""


class NftRuleError(InputError):
    """An nftables rule the ruleset reader does not understand; the reader turns it into an
    'unknown rule' finding, so it reaches the user only as that. Exit code 2 if it escapes."""


class SpfSyntaxError(InputError):
    """An SPF record that does not follow RFC 7208's grammar; the DNS probe reports it as a
    finding. Exit code 2 if it escapes."""


class CatalogError(HybridfwError):
    """The diagnosis catalog shipped with hybridfw does not validate: a packaging bug, caught by
    the catalog tests. Exit code 2."""
