"""Names `vulture` (in `make lint`) cannot see used: only what a framework or a registry calls by
name. Everything else it reports is dead code to delete, not to list here."""

# ruff: noqa: B018, F821
# Python's io protocol calls readinto() on the drops reader's head-then-rest stream.
readinto
# expat calls its handlers by attribute name (rulesets/_vendor_util.py parse_xml).
_.StartElementHandler
_.EndElementHandler
_.CharacterDataHandler
_.StartDoctypeDeclHandler
_.EntityDeclHandler
# dnspython reads the resolver's settings by attribute name (probe/dns.py).
_.nameservers
_.lifetime
# PAN-OS object tables looked up with getattr by table name (rulesets/_panos_services.py).
service_groups
application_groups
# ConvertTo-Json properties every reader parses and validates, kept in the model though no check
# reads them yet (connectors/interface.py).
fqdn
transport_role
restrict_domains_to_certificate
sender_ip_addresses
recipient_domains
domain_type
on_premises_smart_host
features
onprem_domains
# The Ansible collection calls these by name (ansible/.../plugins).
flow_addresses
write_rules
# The drops log parsers, loaded by name from the plug-in tuple drops.PARSERS.
CiscoAsa
Filterlog
FortiGate
JournalJson
NetfilterLog
PanosTraffic
WindowsFirewall
# AddressSet's public API: `difference` (the named form of `-`, like set's) and `to_ranges`
# (used by the tests to print sets).
difference
to_ranges
# difflib's SequenceMatcher.get_grouped_opcodes calls get_opcodes on audit.diff's subclass.
get_opcodes
# native.PureFinder: the import system calls find_spec and reads the spec's has_location.
find_spec
has_location
# The patchers, loaded by name from the plug-in tuple audit.patch.PATCHERS.
FortigatePatcher
IptablesPatcher
NftTextPatcher
NftJsonPatcher
OpnsensePatcher
SrxPatcher
NetshPatcher
WindowsJsonPatcher
# Python calls a module's __getattr__ for a name it lacks (`hybridfw.cli.app`, the whole tree).
__getattr__
