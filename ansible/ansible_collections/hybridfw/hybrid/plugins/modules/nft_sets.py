#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hybridfw contributors; MIT License (see the hybridfw repository)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: nft_sets
short_description: Keep a Linux host's nftables sets holding the Microsoft addresses of each flow
version_added: 0.1.0
description:
  - Runs C(hybridfw apply --nft) on the target. One set per flow and family (C(smtp_inbound_v4),
    C(smtp_inbound_v6), ...) in one table, replaced in one atomic C(nft -f) transaction, the table
    and sets created on the first run; other tables are never touched.
  - Idempotent; C(changed) only when a set's content changes. Check mode computes the
    transaction and loads nothing; diff mode shows each changed set before and after.
  - Fails, loading nothing, when the endpoint data is older than O(max_age) days or when a set
    would lose more than O(max_removal) percent of what it holds now (the hybridfw safe-update
    guard; O(force) overrides the removal check only).
  - Needs root (or CAP_NET_ADMIN), C(nft), and the C(hybridfw) Python package in the interpreter
    that runs the module on the target.
author:
  - hybridfw contributors
extends_documentation_fragment:
  - hybridfw.hybrid.common
  - hybridfw.hybrid.common.check_diff
requirements:
  - nft (nftables)
options:
  table:
    description: The nft table, C(FAMILY NAME). Your rules must be in the same table to match the sets.
    type: str
    default: inet hybridfw
  max_age:
    description: Refuse endpoint data older than this many days.
    type: int
    default: 35
  max_removal:
    description: Refuse to remove more than this percent of a set's addresses (either family).
    type: float
    default: 20.0
  force:
    description: Apply even past the removal guard (never past O(max_age)).
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Keep the gateway's Exchange Online sets current
  become: true
  hybridfw.hybrid.nft_sets:
    topology: /etc/hybridfw/topology.toml
    table: inet filter
'''

RETURN = r'''
status:
  description: applied, unchanged, dry-run (check mode) or refused.
  returned: always
  type: str
  sample: applied
sets:
  description: Every set kept (name, flow, family, addresses).
  returned: always
  type: list
  elements: dict
changes:
  description: The sets whose content changes (added, removed, before, after).
  returned: always
  type: list
  elements: dict
transaction:
  description: The nft transaction loaded (or, in check mode, that would be); empty when unchanged.
  returned: always
  type: str
refused_because:
  description: Why nothing was loaded (stale data, removal guard).
  returned: always
  type: list
  elements: str
findings:
  description: Notes such as flows Microsoft publishes only as names (no set for them).
  returned: always
  type: list
  elements: dict
'''

from ansible_collections.hybridfw.hybrid.plugins.module_utils.hybridfw_api import (
    HybridfwError, automation, hybridfw_module, load_context)


def _diff(changes):
    def text(cidrs):
        return ''.join('%s\n' % c for c in cidrs)

    return [dict(before_header=c['set'], after_header=c['set'], before=text(c['before']),
                 after=text(c['after']))
            for c in changes]


def main():
    module = hybridfw_module(
        dict(
            table=dict(type='str', default='inet hybridfw'),
            max_age=dict(type='int', default=35),
            max_removal=dict(type='float', default=20.0),
            force=dict(type='bool', default=False),
        ),
    )
    ctx = load_context(module)
    p = module.params
    try:
        doc = automation.apply(ctx, backend='nft', target=p['table'], dry_run=module.check_mode,
                               max_age_days=p['max_age'], max_removal=p['max_removal'], force=p['force'])
    except HybridfwError as exc:
        module.fail_json(msg=str(exc))
    result = dict(changed=doc['status'] in ('applied', 'dry-run'), status=doc['status'], sets=doc['sets'],
                  changes=doc['changes'], transaction=doc['transaction'],
                  refused_because=doc['refused_because'], findings=doc['findings'])
    if module._diff:
        result['diff'] = _diff(doc['changes'])
    if doc['status'] == 'refused':
        module.fail_json(msg='refused, nothing loaded: %s' % '; '.join(doc['refused_because']), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
