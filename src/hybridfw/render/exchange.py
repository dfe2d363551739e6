"""PowerShell that points a dedicated receive connector's RemoteIPRanges at the EOP SMTP set."""

from __future__ import annotations

from collections.abc import Sequence

from hybridfw.model import EndpointData, Finding, Flow, Severity
from hybridfw.render.interface import Renderer, RenderResult

_SCRIPT = """\
# hybridfw: limit a dedicated receive connector to the Exchange Online (EOP) SMTP set.
# Flow smtp-inbound; endpoint data {version}; {count} range(s), IPv4 and IPv6.
# Use a connector that only Exchange Online uses (not "Default Frontend"): RemoteIPRanges
# replaces the whole list, and anything else that relays through it would be cut off.
# Run in the Exchange Management Shell; -WhatIf first is a good idea.
param(
    [string]$ConnectorName = "Inbound from Office 365",
    [switch]$WhatIf
)
$ranges = @(
{ranges}
)
$connectors = Get-ReceiveConnector | Where-Object {{ $_.Name -eq $ConnectorName }}
if (-not $connectors) {{ throw "No receive connector named '$ConnectorName'" }}
foreach ($connector in $connectors) {{
    Set-ReceiveConnector -Identity $connector.Identity -RemoteIPRanges $ranges -WhatIf:$WhatIf
}}
"""


class ExchangeRenderer(Renderer):
    name = "exchange"
    description = ("PowerShell setting a dedicated receive connector's RemoteIPRanges to the "
                   "EOP SMTP set (flow smtp-inbound)")

    def render(self, flows: Sequence[Flow], data: EndpointData) -> RenderResult:
        inbound = [f for f in flows if f.id == "smtp-inbound"]
        if not inbound:
            return RenderResult(self.name, {}, [Finding(
                Severity.ERROR, "render.no-smtp-inbound",
                "the exchange platform renders only flow smtp-inbound, which is not among the "
                "flows (a Full hybrid mode has it)", subject=self.name)])
        cidrs = inbound[0].sources.to_cidrs()
        ranges = ",\n".join(f'    "{c}"' for c in cidrs)
        script = _SCRIPT.format(version=data.version_label(), count=len(cidrs), ranges=ranges)
        findings = []
        if inbound[0].override_sources:
            findings.append(Finding(
                Severity.INFO, "render.overrides-included",
                "the ranges include the topology's [overrides] smtp_inbound entries",
                evidence=tuple(inbound[0].override_sources.to_cidrs()), subject="smtp-inbound"))
        return RenderResult(self.name, {"hybridfw-receive-connector.ps1": script}, findings)


def receive_connector_update(identity: str, add: Sequence[str], remove: Sequence[str]) -> str:
    """One Set-ReceiveConnector line that adds and removes RemoteIPRanges entries in place
    (the multi-valued @{Add=...; Remove=...} syntax), leaving every other entry as it is.
    `remove` must be entries exactly as the connector lists them."""
    def values(items: Sequence[str]) -> str:
        return ",".join(ps_string(i) for i in items)

    parts = ([f"Add={values(add)}"] if add else []) + ([f"Remove={values(remove)}"] if remove else [])
    return (f"Set-ReceiveConnector -Identity {ps_string(identity)} "
            f"-RemoteIPRanges @{{{'; '.join(parts)}}}")


def ps_string(text: str) -> str:
    """`text` as a PowerShell double-quoted string (`` ` ``, `"` and `$` escaped)."""
    return '"' + text.replace("`", "``").replace('"', '`"').replace("$", "`$") + '"'
