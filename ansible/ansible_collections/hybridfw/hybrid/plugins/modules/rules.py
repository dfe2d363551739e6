#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hybridfw contributors; MIT License (see the hybridfw repository)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: rules
short_description: Render firewall rules for the flows Exchange hybrid needs, for one platform
version_added: 0.1.0
description:
  - Renders the rules hybridfw writes for O(platform) (aerleon targets, EDL lists, Exchange
    connector lists, ...) from the topology and the newest endpoint data.
  - Without O(dest) the files are only returned (RV(files)); with O(dest) they are written there
    atomically, and only when their content changes (C(changed) says whether any did).
  - Check mode reports what would change and writes nothing; diff mode shows each file's change.
  - Fails when the rendered rules would miss traffic (an ERROR finding, e.g. IPv6 the platform
    cannot express), unless O(fail_on_problems=false).
author:
  - hybridfw contributors
extends_documentation_fragment:
  - hybridfw.hybrid.common
  - hybridfw.hybrid.common.check_diff
options:
  platform:
    description: Target platform, as C(hybridfw rules --list-platforms) lists them.
    type: str
    required: true
  dest:
    description: Directory to write the files into. Without it nothing is written.
    type: path
  fail_on_problems:
    description: Fail when the rendered rules would miss traffic (ERROR findings).
    type: bool
    default: true
'''

EXAMPLES = r'''
- name: Write the nftables rules next to the other firewall sources
  hybridfw.hybrid.rules:
    topology: /etc/hybridfw/topology.toml
    platform: nftables
    dest: /etc/nftables.d/hybridfw
  register: rendered
  notify: reload nftables

- name: Render the PAN-OS rules for a vendor module to push
  hybridfw.hybrid.rules:
    topology: topology.toml
    platform: paloalto
  delegate_to: localhost
  register: panos
'''

RETURN = r'''
files:
  description: File name to rendered text.
  returned: always
  type: dict
findings:
  description: What the platform could not express and other notes (severity, code, message, fix).
  returned: always
  type: list
  elements: dict
written:
  description: Paths written (or, in check mode, that would be).
  returned: always
  type: list
  elements: str
problems:
  description: Whether an ERROR finding says the rules would miss traffic.
  returned: always
  type: bool
'''

from ansible_collections.hybridfw.hybrid.plugins.module_utils.hybridfw_api import (
    HybridfwError, automation, hybridfw_module, load_context)


def main():
    module = hybridfw_module(
        dict(
            platform=dict(type='str', required=True),
            dest=dict(type='path'),
            fail_on_problems=dict(type='bool', default=True),
        ),
    )
    ctx = load_context(module)
    p = module.params
    try:
        doc = automation.rules(ctx, p['platform'])
        changes = []
        if p['dest']:
            changes = automation.write_rules(p['dest'], doc['files'], dry_run=module.check_mode)
    except HybridfwError as exc:
        module.fail_json(msg=str(exc))
    result = dict(changed=bool(changes), files=doc['files'], findings=doc['findings'],
                  written=[c['path'] for c in changes], problems=doc['problems'])
    if module._diff:
        result['diff'] = [dict(before_header=c['path'], after_header=c['path'], before=c['before'],
                               after=c['after']) for c in changes]
    if doc['problems'] and p['fail_on_problems']:
        module.fail_json(msg='the rendered rules would miss traffic: %s' % '; '.join(
            f['message'] for f in doc['findings'] if f['severity'] == 'error'), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
