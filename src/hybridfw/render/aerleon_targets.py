"""The aerleon-backed platforms: one row each, plus the fix-ups for aerleon 1.18.0's known bugs."""

from __future__ import annotations

from hybridfw.render import fixups
from hybridfw.render.aerleon_backend import AerleonTarget
from hybridfw.render.fqdn_objects import asa_fqdn, fortigate_fqdn, paloalto_fqdn

_SPLIT = ("inet", "inet6")

TARGETS: tuple[AerleonTarget, ...] = (
    AerleonTarget("juniper", "juniper", "Juniper Junos firewall filters (family inet + inet6)"),
    AerleonTarget("juniperevo", "juniperevo", "Juniper Junos EVO firewall filters",
                  header="{name} {family} {evo}"),
    AerleonTarget("juniper-msmpc", "msmpc", "Juniper MS-MPC service filters"),
    AerleonTarget("srx", "srx", "Juniper SRX security policies (zones untrust/trust)",
                  header="{zones} {family}"),
    AerleonTarget("cisco", "cisco", "Cisco IOS extended + IPv6 access lists"),
    AerleonTarget("ciscoasa", "ciscoasa", "Cisco ASA access-list lines (IPv6 lines by hybridfw)",
                  header="{name}", fixups=(fixups.asa_keep_acl, fixups.asa_add_ipv6),
                  fqdn_objects=asa_fqdn),
    AerleonTarget("cisconx", "cisconx", "Cisco NX-OS access lists"),
    AerleonTarget("ciscoxr", "ciscoxr", "Cisco IOS XR access lists"),
    AerleonTarget("arista", "arista", "Arista EOS access lists"),
    AerleonTarget("arista-tp", "arista_tp", "Arista EOS traffic policies"),
    AerleonTarget("aruba", "aruba", "Aruba OS session access lists (one per family)",
                  families=_SPLIT),
    AerleonTarget("brocade", "brocade", "Brocade access lists"),
    AerleonTarget("iptables", "speedway", "iptables-restore / ip6tables-restore files "
                  "(chains hybridfw_in / hybridfw_out; load with --noflush)",
                  header="{chain} {family}", families=_SPLIT),
    AerleonTarget("nftables", "nftables", "nftables ruleset (nft -f), address lists in named sets",
                  header="{family} FORWARD", comment_limit=120,
                  fixups=(fixups.nft_drop_duplicate_rules, fixups.nft_named_sets,
                          fixups.nft_one_base_chain)),
    AerleonTarget("pf", "packetfilter", "OpenBSD / FreeBSD / pfSense pf rules with tables"),
    AerleonTarget("windows-advfirewall", "windows_advfirewall",
                  "Windows Defender Firewall (netsh advfirewall) rules", header="{dir} inet",
                  # The generator ignores the family and writes both into each rule anyway.
                  families=("inet",)),
    AerleonTarget("nsxv", "nsxv", "VMware NSX-V distributed firewall section (XML)",
                  file_per_direction=True),
    AerleonTarget("nsxt", "nsxt", "VMware NSX-T distributed firewall policy (JSON)",
                  file_per_direction=True),
    AerleonTarget("openconfig", "openconfig", "OpenConfig ACL (JSON)"),
    AerleonTarget("sonic", "sonic", "SONiC ACL (JSON)"),
    AerleonTarget("nokia-srl", "nokiasrl", "Nokia SR Linux ACL (JSON)"),
    AerleonTarget("nvidia-nvue", "nvueapi", "NVIDIA Cumulus NVUE ACLs (one per family)",
                  families=_SPLIT),
    AerleonTarget("paloalto", "paloalto", "Palo Alto PAN-OS security rules (XML, zones "
                  "untrust/trust)", header="{zones} {family}", fqdn_objects=paloalto_fqdn),
    AerleonTarget("fortigate", "fortigate", "FortiGate firewall policies (CLI, interfaces "
                  "untrust/trust)", header="{zones}", fqdn_objects=fortigate_fqdn),
    AerleonTarget("gce", "gce", "Google Cloud VPC firewall rules (attach to the servers' tags)",
                  header="{name} {gdir} {family}", attached_to_servers=True),
    AerleonTarget("gcp-hf", "gcp_hf", "Google Cloud hierarchical firewall policy",
                  header="{name} {gdir} {family}", attached_to_servers=True,
                  file_per_direction=True),
    AerleonTarget("proxmox", "proxmox", "Proxmox VE cluster firewall rules (one file per "
                  "direction)", header="cluster FORWARD", file_per_direction=True),
    AerleonTarget("k8s", "k8s", "Kubernetes NetworkPolicy (attach to the Exchange pods)",
                  header="{gdir}", attached_to_servers=True),
)
