"""Special-purpose address ranges (IANA's special-purpose registries), as address sets."""

from __future__ import annotations

from hybridfw.addresses.address_set import AddressSet

# Addresses of a site's inside: private, shared (CGN), loopback, link-local, ULA. A public DNS
# answer holding only these is an internal name leaked, or an internal (split-DNS) resolver's.
INTERNAL = AddressSet.parse([
    "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16",
    "::1/128", "fc00::/7", "fe80::/10",
])

# Addresses that never reach us from the Internet: INTERNAL, and "this network", documentation,
# benchmarking, multicast, reserved and the IPv6 special blocks. One interval lookup instead of
# ipaddress's is_global, which walks a list per call.
NOT_INTERNET = INTERNAL | AddressSet.parse([
    "0.0.0.0/8", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "224.0.0.0/3",
    "::/127", "::ffff:0:0/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32",
    "ff00::/8",
])
