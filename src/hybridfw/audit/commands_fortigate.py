"""FortiGate: the fix as a FortiOS CLI script, rendered by aerleon's fortigate generator and
placed with ``move``.

For every missing range the audit knows the policy (or the implicit deny) that denies it on an
interface pair. The ranges one policy denies to one flow and port get one accept policy on that
pair: aerleon renders the addresses, the service and the policy; hybridfw gives the policy a
fresh ID above every ID in the file and adds ``move <new> before <denying policy>``. A range
only the implicit deny takes needs no move (a new policy goes to the end of the table, before
the implicit deny). Policies of a VDOM are wrapped in ``config vdom`` / ``edit <vdom>``.
FortiOS evaluates policies in table order, so this is where the accept takes effect. The
script appended to the configuration reads as the configuration after running it (see
`_fortios_tree`); `--fixed-out` writes exactly that. A FortiOS 6.x ``policy6`` table gets the
IPv6 fix in ``config firewall policy`` (the FortiOS 7 form), which 6.x does not accept there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from hybridfw.audit.fix_groups import group_insertions, sides
from hybridfw.audit.patch_types import ChainNames, Insertion
from hybridfw.model import EndpointData, Flow

_EDIT_NUMBER = re.compile(r"^\s*edit\s+(\d+)\s*$", re.MULTILINE)
_POLICY_ID = re.compile(r"^edit (\S+)")


def next_free_id(texts: Sequence[str]) -> int:
    """Above every numeric ``edit`` in the files (policy IDs among them)."""
    found = [int(m) for text in texts for m in _EDIT_NUMBER.findall(text)]
    return max(found, default=0) + 1


def _pair(item: Insertion, chains: ChainNames) -> tuple[str, str, str]:
    """(VDOM, source interface, destination interface) of the item's entry."""
    vdom, name = chains.get(item.chain_key, ("", "any -> any"))
    if vdom and name.startswith(f"{vdom}: "):
        name = name[len(vdom) + 2:]
    src, _, dst = name.partition(" -> ")
    return vdom, src, dst


def _flow(group: Sequence[Insertion], number: int) -> Flow:
    item = group[0]
    src, dst = sides(group)
    return Flow(f"hybridfw-fix-{number}", "inbound" if item.direction == "inbound" else "outbound",
                "udp" if item.protocol == "udp" else "tcp", (item.port,), src, dst,
                f"fix for {item.flow}")


def unrecorded() -> EndpointData:
    """For the comments when the endpoint data is not at hand (`--fixed-out`)."""
    from datetime import UTC, datetime

    return EndpointData("", "as audited", datetime.now(UTC), "file", "", "", ())


def _render(src: str, dst: str, flow: Flow, data: EndpointData | None) -> str:
    """aerleon's fortigate output for one accept policy on the pair `src` -> `dst`."""
    from hybridfw.render.aerleon_backend import AerleonTarget, generate

    header = f"from-zone {src} to-zone {dst}".replace("{", "{{").replace("}", "}}")
    spec = AerleonTarget("fortigate", "fortigate", "fix", header=header)
    files = generate(spec, [flow], data or unrecorded())
    return "\n".join(text.rstrip("\n") for text in files.values())


def _policy_block(text: str, new_id: int, before: str | None) -> list[str]:
    """The rendered script with the policy numbered `new_id` and moved before `before`."""
    out: list[str] = []
    in_policy = False
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped == "config firewall policy":
            in_policy = True
        elif in_policy and stripped.startswith("edit "):
            line = f"    edit {new_id}"
        elif in_policy and stripped == "end":
            if before is not None:
                out.append(f"    move {new_id} before {before}")
            in_policy = False
        if stripped and not stripped.startswith("#"):
            out.append(line)
    return out


def script(items: Sequence[Insertion], chains: ChainNames, first_id: int,
           data: EndpointData | None = None) -> str:
    """The CLI script for `items`, policy IDs from `first_id` on ("" when there are none)."""
    by_vdom: dict[str, list[str]] = {}
    for number, group in enumerate(group_insertions(items), start=first_id):
        item = group[0]
        vdom, src, dst = _pair(item, chains)
        found = None if item.policy else _POLICY_ID.match(item.origin.raw)
        rendered = _render(src, dst, _flow(group, number), data)
        by_vdom.setdefault(vdom, []).extend(
            _policy_block(rendered, number, found.group(1) if found else None))
    out: list[str] = []
    for vdom, lines in by_vdom.items():
        if vdom:
            out += ["config vdom", f"edit {vdom}", *lines, "next", "end"]
        else:
            out += lines
    return "\n".join(out) + ("\n" if out else "")


def fortigate_commands(items: Sequence[Insertion], chains: ChainNames,
                       texts: Mapping[str, str], data: EndpointData) -> str:
    """The script for the audit's missing ranges, IDs above those in `texts`."""
    return script(items, chains, next_free_id(list(texts.values())), data)
