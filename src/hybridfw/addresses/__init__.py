"""Address sets as sorted, merged integer intervals per address family.

All set algebra works on intervals, so a /8 costs the same as a /32 and nothing is ever
expanded address by address. IPv4 and IPv6 are kept apart: an IPv4 interval never touches an
IPv6 one, and IPv4-mapped IPv6 addresses stay IPv6 (that is how firewalls treat them).

Modules: `intervals` (the interval algebra, public), `parse` (text to intervals), `text`
(intervals to CIDR text), `address_set` (`AddressSet`), `special` (special-purpose ranges:
`INTERNAL`, `NOT_INTERNET`). Import the names below from here (`special` from itself).
"""

from hybridfw.addresses.address_set import AddressSet
from hybridfw.addresses.intervals import Family, Interval
from hybridfw.addresses.parse import AddressError, is_ip_address, parse_prefix, prefix_interval

__all__ = ["AddressError", "AddressSet", "Family", "Interval", "is_ip_address", "parse_prefix",
           "prefix_interval"]
