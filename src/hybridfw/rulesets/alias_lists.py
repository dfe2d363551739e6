"""Local copies of the address lists a firewall downloads itself (OPNsense and pfSense ``url``
and ``urltable`` aliases, e.g. a Spamhaus DROP list). The configuration holds only the list's
URL, so without a copy such an alias is unknown; ``--alias-file NAME=FILE`` (`audit`, `check`,
and `automation.audit`'s `alias_files`) gives one, and the reader then resolves the alias to
exactly the addresses in the file.

The lists are handed to the readers through `alias_lists` (a context manager around the parse)
rather than through every parser's signature: only the readers that know such aliases look.
A list file holds one address, CIDR or range (``a-b``) a line; ``#`` and ``;`` start comments
(the DROP list's ``1.10.16.0/20 ; SBL256894`` form). A line that is not an address is an input
error naming the file and line: a half-read list would be a guess; so is a list
with no address at all.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from hybridfw.addresses import AddressSet
from hybridfw.errors import InputError
from hybridfw.rulesets._vendor_util import parse_address

MAX_LIST_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class AliasList:
    name: str
    path: str
    addresses: AddressSet


_LISTS: ContextVar[Mapping[str, AliasList] | None] = ContextVar("hybridfw_alias_lists",
                                                                default=None)


def parse_alias_list(name: str, text: str, path: str) -> AliasList:
    found: list[AddressSet] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].split(";", 1)[0].strip()
        if not line:
            continue
        parsed = parse_address(line.split()[0])
        if parsed is None:
            raise InputError(f"not an address, CIDR or range: {line.split()[0]!r}", path=path,
                             line=number, field=f"alias list {name}")
        found.append(parsed)
    if not found:
        # An empty copy is far more often a failed download than the real list; reading it as
        # "matches nothing" would let a block rule on that alias admit everything.
        raise InputError("the list holds no address (empty, or comments only)", path=path,
                         field=f"alias list {name}")
    return AliasList(name, path, AddressSet.union_all(found))


def read_alias_file(spec: str) -> AliasList:
    """``NAME=FILE`` as given on the command line."""
    name, sep, file = spec.partition("=")
    if not sep or not name.strip() or not file.strip():
        raise InputError(f"expected NAME=FILE, got {spec!r}", field="--alias-file")
    path = Path(file.strip())
    try:
        if path.stat().st_size > MAX_LIST_BYTES:
            raise InputError("file too large for an address list", path=str(path),
                             field="--alias-file")
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), path=str(path), field="--alias-file") from exc
    return parse_alias_list(name.strip(), text, str(path))


@contextmanager
def alias_lists(lists: Sequence[AliasList]) -> Iterator[None]:
    """Parse (and audit, and patch) with these lists in effect."""
    names = [a.name for a in lists]
    if len(set(names)) != len(names):
        raise InputError("the same alias is given twice", field="--alias-file")
    token = _LISTS.set({a.name: a for a in lists})
    try:
        yield
    finally:
        _LISTS.reset(token)


def alias_list(name: str) -> AliasList | None:
    """The local copy of alias `name`'s list, if one was given."""
    lists = _LISTS.get()
    return lists.get(name) if lists is not None else None
