"""Network namespaces for kernel-backed audit tests (root; they fail, never skip, without it)."""

from __future__ import annotations

import itertools
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

_counter = itertools.count()


def run(*cmd: str, ns: str | None = None, stdin: str | None = None, check: bool = True) -> str:
    full = ["ip", "netns", "exec", ns, *cmd] if ns else list(cmd)
    done = subprocess.run(full, input=stdin, capture_output=True, text=True, timeout=60)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(full)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


@contextmanager
def netns(tag: str) -> Iterator[str]:
    """A fresh namespace named after the test process, deleted even when the test fails."""
    name = f"hfw-{os.getpid()}-{tag}-{next(_counter)}"
    run("ip", "netns", "add", name)
    try:
        run("ip", "link", "set", "lo", "up", ns=name)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=30)


def nft_json_of(nft_text: str, tag: str) -> str:
    """Load nft text into a scratch namespace and return the kernel's `nft -j list ruleset`."""
    with netns(tag) as ns:
        run("nft", "-f", "-", ns=ns, stdin=nft_text)
        return run("nft", "-j", "list", "ruleset", ns=ns)
