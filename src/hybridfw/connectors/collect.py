"""The PowerShell that writes exactly the exports `hybridfw connectors` reads (read-only cmdlets)."""

from __future__ import annotations

# (shell, cmdlet, file). Every cmdlet here only reads (Get-*); -Depth 4 keeps IP ranges whole.
_EMS = "Exchange Management Shell (on-premises)"
_EXO = "Exchange Online PowerShell (Connect-ExchangeOnline)"
SHELLS = ((_EMS, "Exchange Management Shell"), (_EXO, "Exchange Online PowerShell"))  # for --help
EXPORTS = (
    (_EMS, "Get-ReceiveConnector", "receive-connectors.json"),
    (_EMS, "Get-SendConnector", "send-connectors.json"),
    (_EMS, "Get-ExchangeCertificate", "exchange-certificates.json"),
    (_EMS, "Get-AcceptedDomain", "accepted-domains-onprem.json"),
    (_EMS, "Get-HybridConfiguration", "hybrid-configuration.json"),
    (_EXO, "Get-InboundConnector", "inbound-connectors.json"),
    (_EXO, "Get-OutboundConnector", "outbound-connectors.json"),
    (_EXO, "Get-AcceptedDomain", "accepted-domains-tenant.json"),
)


def _certificates_line() -> str:
    # Certificates live per server: ask every transport server, and keep which one it was.
    return ("Get-ExchangeServer | Where-Object { $_.IsHubTransportServer -or $_.IsEdgeServer } | "
            "ForEach-Object { $s = $_.Name; Get-ExchangeCertificate -Server $s | "
            "Select-Object *, @{Name='HybridfwServer'; Expression={$s}} } | "
            "ConvertTo-Json -Depth 4 | Out-File -Encoding utf8 exchange-certificates.json")


def collect_script() -> str:
    lines = ["# hybridfw connectors: exports for 'hybridfw connectors *.json --topology FILE'.",
             "# Only Get-* cmdlets run: nothing is changed. Run each block in the shell it names."]
    shell = ""
    for where, cmdlet, name in EXPORTS:
        if where != shell:
            shell = where
            lines += ["", f"# --- {where}"]
        if cmdlet == "Get-ExchangeCertificate":
            lines.append(_certificates_line())
            continue
        lines.append(f"{cmdlet} | ConvertTo-Json -Depth 4 | Out-File -Encoding utf8 {name}")
    return "\n".join(lines) + "\n"
