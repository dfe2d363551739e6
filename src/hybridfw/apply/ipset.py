"""ipset: one hash:net set per flow and family, refilled through a scratch set and a swap.

`ipset restore` is not one transaction, so the content is built first in scratch sets and only
then swapped in: `swap` exchanges two sets' content atomically, so iptables rules matching the
live set see the old content or the new one, never an empty set. A failure while filling leaves
every live set as it was (the scratch sets are destroyed afterwards).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from hybridfw.addresses import AddressError, AddressSet, Family
from hybridfw.apply.interface import KernelSet, SetBackend, failed, run_tool
from hybridfw.errors import InputError, KernelError

MAX_NAME = 31  # IPSET_MAXNAMELEN less the terminating NUL
_PREFIX = re.compile(r"^[A-Za-z0-9_.-]{0,16}$")
_FAMILY = {4: "inet", 6: "inet6"}


def scratch_name(name: str) -> str:
    """A short, stable scratch name for `name` (a crash leaves at most one per set)."""
    return "hfwtmp_" + hashlib.sha256(name.encode()).hexdigest()[:12]


def members_in_save(text: str, name: str) -> AddressSet:
    """The members of set `name` in `ipset save` output (`add NAME 40.92.0.0/15` lines)."""
    texts = []
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 3 and words[0] == "add" and words[1] == name:
            texts.append(words[2])
    try:
        return AddressSet.parse(texts)
    except AddressError as exc:
        raise KernelError(f"ipset save of {name} lists something hybridfw cannot read: {exc}") from None


class IpsetSets(SetBackend):
    name = "ipset"
    description = "ipset hash:net sets, filled as scratch sets and swapped in"

    def check_target(self, target: str) -> str:
        if not _PREFIX.match(target):
            raise InputError("an ipset name prefix is at most 16 letters, digits, '_', '.' or '-'; "
                             f"got {target!r}", field="--ipset-prefix")
        return target

    def set_name(self, target: str, flow: str, family: Family) -> str:
        name = f"{target}{flow.replace('-', '_')}_v{family}"
        if len(name) > MAX_NAME:
            raise InputError(f"ipset name {name!r} is longer than {MAX_NAME} characters; "
                             "use a shorter --ipset-prefix", field="--ipset-prefix")
        return name

    def current(self, target: str, names: Sequence[str]) -> dict[str, AddressSet]:
        argv = ["ipset", "list", "-n"]
        done = run_tool(argv)
        if done.returncode != 0:
            raise failed(argv, done)
        existing = set(done.stdout.split())
        found = {}
        for name in names:
            if name not in existing:
                continue
            argv = ["ipset", "save", name]
            done = run_tool(argv)
            if done.returncode != 0:
                raise failed(argv, done)
            found[name] = members_in_save(done.stdout, name)
        return found

    def transaction(self, target: str, sets: Sequence[KernelSet]) -> str:
        lines = []
        for s in sets:
            scratch = scratch_name(s.name)
            lines.append(f"create {s.name} hash:net family {_FAMILY[s.family]}")
            lines.append(f"create {scratch} hash:net family {_FAMILY[s.family]}")
            lines.append(f"flush {scratch}")
            lines += [f"add {scratch} {cidr}" for cidr in s.cidrs()]
        for s in sets:
            lines.append(f"swap {scratch_name(s.name)} {s.name}")
        return "\n".join(lines) + "\n"

    def load(self, target: str, transaction: str) -> None:
        argv = ["ipset", "-exist", "restore"]
        done = run_tool(argv, stdin=transaction)
        scratch = sorted({line.split()[1] for line in transaction.splitlines()
                          if line.startswith("create hfwtmp_")})
        for name in scratch:  # after a swap they hold the old content; after a failure, partial
            run_tool(["ipset", "destroy", name])
        if done.returncode != 0:
            raise failed(argv, done)
