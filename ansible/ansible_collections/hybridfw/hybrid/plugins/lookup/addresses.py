# -*- coding: utf-8 -*-
# Copyright: hybridfw contributors; MIT License (see the hybridfw repository)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: addresses
author:
  - hybridfw contributors
version_added: 0.1.0
short_description: The current Microsoft addresses of Exchange hybrid flows
description:
  - Returns the CIDRs on Microsoft's side of the named flows (the sources of an inbound flow such
    as C(smtp-inbound), the destinations of an outbound one), from the hybridfw endpoint store on
    the controller, else the snapshot shipped with hybridfw. Several flows give the union.
  - Ready to feed vendor modules (FortiOS address groups, PAN-OS address objects, Windows firewall
    rules, Exchange C(Set-ReceiveConnector -RemoteIPRanges)).
  - Fails when the endpoint data is older than O(max_age) days, when a flow is not in the
    topology's mode, or when Microsoft publishes only names for it.
  - Needs the C(hybridfw) Python package in the controller's Python.
options:
  _terms:
    description: Flow ids, as C(hybridfw flows) lists them (smtp-inbound, https-inbound, ...).
    required: true
    type: list
    elements: str
  topology:
    description: The hybridfw topology file (TOML).
    type: path
    required: true
  family:
    description: Only IPv4 (V(4)) or only IPv6 (V(6)) addresses; both when not given.
    type: int
    choices: [4, 6]
  max_age:
    description: Fail when the endpoint data is older than this many days.
    type: int
    default: 35
  home:
    description: hybridfw data home (endpoint store); default C($HYBRIDFW_HOME) or the user data directory.
    type: path
'''

EXAMPLES = r'''
- name: EOP's IPv4 ranges for a FortiOS address group
  ansible.builtin.debug:
    msg: "{{ lookup('hybridfw.hybrid.addresses', 'smtp-inbound', topology='topology.toml', family=4) }}"

- name: As a list, for a loop
  ansible.builtin.debug:
    msg: "{{ item }}"
  loop: "{{ query('hybridfw.hybrid.addresses', 'smtp-inbound', topology='topology.toml') }}"
'''

RETURN = r'''
_raw:
  description: The CIDRs (IPv4 first, each family sorted and merged).
  type: list
  elements: str
'''

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

try:
    from hybridfw import automation
    from hybridfw.errors import HybridfwError
except ImportError:
    automation = None
    HybridfwError = Exception


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        if automation is None:
            raise AnsibleLookupError('the hybridfw Python package is not installed in the controller\'s Python')
        self.set_options(var_options=variables, direct=kwargs)
        if not terms:
            raise AnsibleLookupError('name at least one flow (e.g. smtp-inbound)')
        try:
            ctx = automation.load(self.get_option('topology'), self.get_option('home'))
            return automation.flow_addresses(ctx, terms, self.get_option('family'), self.get_option('max_age'))
        except HybridfwError as exc:
            raise AnsibleLookupError('hybridfw.hybrid.addresses: %s' % exc)
