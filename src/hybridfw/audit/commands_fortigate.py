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
`_fortios_tree`); `--fixed-out` writes exactly that.

IPv6: FortiOS 7 (and 6.4) take IPv6 addresses in ``config firewall policy`` (``srcaddr6`` /
``dstaddr6``), as aerleon renders them. FortiOS before 6.4 refuses them there and keeps IPv6
policies in ``config firewall policy6`` (``srcaddr``/``dstaddr`` naming IPv6 objects). When the
configuration has a ``policy6`` table or its ``#config-version`` is older than 6.4, the IPv6
part of a fix goes into ``policy6`` (its own ID, moved before the denying ``policy6`` entry) and
the IPv4 part stays in ``policy`` without the ``*6`` fields.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from hybridfw.audit.fix_groups import group_insertions, sides
from hybridfw.audit.patch_types import ChainNames, Insertion
from hybridfw.model import EndpointData, Flow

_EDIT_NUMBER = re.compile(r"^\s*edit\s+(\d+)\s*$", re.MULTILINE)
_POLICY_ID = re.compile(r"^edit (\S+)")
_POLICY6_TABLE = re.compile(r"^\s*config firewall policy6\s*$", re.MULTILINE)
_VERSION = re.compile(r"^#config-version=[^-\s]+-(\d+)\.(\d+)", re.MULTILINE)
_TABLE = re.compile(r"^\s*config firewall (policy6?)\s*$")
_V6_FIELDS = {"set srcaddr6": "set srcaddr", "set dstaddr6": "set dstaddr"}


def keeps_policy6(text: str) -> bool:
    """Whether the configuration keeps IPv6 policies in ``config firewall policy6`` (FortiOS
    before 6.4): it has such a table, or its version header is older than 6.4."""
    if _POLICY6_TABLE.search(text):
        return True
    version = _VERSION.search(text)
    return version is not None and (int(version[1]), int(version[2])) < (6, 4)


def _table_at(text: str, line: int) -> str:
    """The policy table (``policy`` or ``policy6``) the entry on `line` (1-based) is in."""
    lines = text.split("\n")[:line]
    for raw in reversed(lines):
        found = _TABLE.match(raw)
        if found:
            return found.group(1)
    return "policy"


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


def _parts(text: str) -> tuple[list[str], list[str]]:
    """aerleon's output as (the object commands, the ``set`` lines of its one policy)."""
    objects: list[str] = []
    settings: list[str] = []
    in_policy = False
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped == "config firewall policy":
            in_policy = True
        elif in_policy and stripped.startswith("set "):
            settings.append(stripped)
        elif not in_policy and stripped and not stripped.startswith("#"):
            objects.append(line)
        elif in_policy and stripped == "end":
            in_policy = False
    return objects, settings


def _table(table: str, new_id: int, settings: list[str], before: str | None) -> list[str]:
    out = [f"config firewall {table}", f"    edit {new_id}", *(f"        {s}" for s in settings),
           "    next"]
    return out + ([f"    move {new_id} before {before}"] if before is not None else []) + ["end"]


def _names(settings: list[str], fields: tuple[str, str]) -> bool:
    """Whether both address fields are set to something other than ``none``."""
    values = {s.split(" ", 2)[1]: s.split(" ", 2)[2] for s in settings if s.count(" ") >= 2}
    return all(values.get(f, '"none"') != '"none"' for f in fields)


def _placed(text: str, number: int, before: str | None, table: str,
            policy6: bool) -> tuple[list[str], int]:
    """The rendered fix with its policies numbered from `number`, moved before `before` (an
    entry of `table`); the IPv6 part in a ``policy6`` table when `policy6`. Also the next
    free number."""
    objects, settings = _parts(text)
    if not policy6 or not _names(settings, ("srcaddr6", "dstaddr6")) or (
            before is not None and table != "policy6"):
        return objects + _table("policy", number, settings, before), number + 1
    out = list(objects)
    v4 = [s for s in settings if s.split(" ", 2)[:2] not in (["set", "srcaddr6"], ["set", "dstaddr6"])]
    if _names(v4, ("srcaddr", "dstaddr")):
        out += _table("policy", number, v4, None)  # a policy6 entry denies only IPv6: no move
        number += 1
    v6 = []
    for s in settings:
        head, _, rest = s.partition(" ")[2].partition(" ")
        if head in ("srcaddr", "dstaddr"):
            continue
        if head == "name":
            rest = f'"hybridfw-fix-{number}"'
        v6.append(_V6_FIELDS.get(f"set {head}", f"set {head}") + f" {rest}")
    return out + _table("policy6", number, v6, before), number + 1


def script(items: Sequence[Insertion], chains: ChainNames, first_id: int,
           data: EndpointData | None = None, texts: Mapping[str, str] | None = None) -> str:
    """The CLI script for `items`, policy IDs from `first_id` on ("" when there are none);
    `texts` (path -> configuration) decide the IPv6 form and which table a denying entry is in."""
    texts = texts or {}
    policy6 = any(keeps_policy6(t) for t in texts.values())
    by_vdom: dict[str, list[str]] = {}
    number = first_id
    for group in group_insertions(items):
        item = group[0]
        vdom, src, dst = _pair(item, chains)
        if item.origin.raw.startswith("local-in-policy"):  # to the FortiGate itself
            by_vdom.setdefault(vdom, []).append(
                f"# {item.origin.raw} denies {item.flow} to {item.address} (the FortiGate's own "
                "address): no firewall policy admits that; change the local-in policy, or publish "
                "the server with a VIP")
            continue
        found = None if item.policy else _POLICY_ID.match(item.origin.raw)
        table = _table_at(texts.get(item.origin.path, ""), item.origin.line) if found else "policy"
        rendered = _render(src, dst, _flow(group, number), data)
        lines, number = _placed(rendered, number, found.group(1) if found else None, table, policy6)
        by_vdom.setdefault(vdom, []).extend(lines)
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
    return script(items, chains, next_free_id(list(texts.values())), data, texts)
