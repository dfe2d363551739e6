# hybridfw: limit a dedicated receive connector to the Exchange Online (EOP) SMTP set.
# Flow smtp-inbound; endpoint data snapshot 2026-05-29; 6 range(s), IPv4 and IPv6.
# Use a connector that only Exchange Online uses (not "Default Frontend"): RemoteIPRanges
# replaces the whole list, and anything else that relays through it would be cut off.
# Run in the Exchange Management Shell; -WhatIf first is a good idea.
param(
    [string]$ConnectorName = "Inbound from Office 365",
    [switch]$WhatIf
)
$ranges = @(
    "40.92.0.0/15",
    "40.107.0.0/16",
    "52.100.0.0/14",
    "104.47.0.0/17",
    "2a01:111:f400::/48",
    "2a01:111:f403::/48"
)
$connectors = Get-ReceiveConnector | Where-Object { $_.Name -eq $ConnectorName }
if (-not $connectors) { throw "No receive connector named '$ConnectorName'" }
foreach ($connector in $connectors) {
    Set-ReceiveConnector -Identity $connector.Identity -RemoteIPRanges $ranges -WhatIf:$WhatIf
}
