#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hybridfw contributors; MIT License (see the hybridfw repository)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: audit
short_description: Audit a firewall ruleset against the flows Exchange hybrid needs
version_added: 0.1.0
description:
  - Runs the hybridfw audit on a ruleset given as a file (O(src)) or as text (O(content)), for
    example the output of C(show running-config) that a vendor collection's C(*_command) module
    returns, or an C(iptables-save) / C(nft list ruleset) dump.
  - Says per flow, on-premises address and port which Microsoft addresses are allowed, missing,
    shadowed, stale or unknown, and renders the rules to add for the ruleset's platform.
  - Never changes anything (C(changed=false)). Fails when a required flow is missing, shadowed or
    cannot be decided, unless O(fail_on_problems=false); an undecidable flow is never reported as
    fine.
  - Needs the C(hybridfw) Python package in the interpreter that runs the module (usually the
    controller, the task delegated to C(localhost)).
author:
  - hybridfw contributors
extends_documentation_fragment:
  - hybridfw.hybrid.common
options:
  src:
    description:
      - Ruleset file(s) to audit; several form one view (e.g. C(iptables-save) and
        C(ip6tables-save) output). Exactly one of O(src) and O(content).
    type: list
    elements: path
  content:
    description: Ruleset text to audit. Exactly one of O(src) and O(content).
    type: str
  format:
    description: Ruleset format; C(auto) detects it from the content.
    type: str
    default: auto
    choices: [auto, asa, fortigate, iptables, list, nft, nft-json, opnsense, panos, panos-set, pfsense, srx,
              windows-json, windows-netsh]
  entry:
    description: Audit only this entry (input, forward, output, an ACL binding).
    type: str
  outside_interface:
    description: The interface Microsoft's traffic arrives on (overrides the topology's).
    type: str
  inside_interface:
    description: The interface towards the Exchange servers (overrides the topology's).
    type: str
  fixed:
    description:
      - Also return the patched copies of the input that C(hybridfw audit --fixed-out) would write
        (every original line kept, the missing accepts inserted where they take effect), as
        RV(fixed). Nothing is written; iptables, nft text and pfSense inputs can be patched, other
        formats get a note and the rules to add.
    type: bool
    default: false
  remove_stale:
    description: With O(fixed), also remove sources Microsoft no longer publishes (C(--remove-stale)).
    type: bool
    default: false
  alias_files:
    description:
      - Local copies of the address lists that url and urltable aliases (OPNsense, pfSense) name,
        each as C(NAME=FILE), as C(hybridfw audit --alias-file) takes them. Without a copy such an
        alias is undecidable; a copy that holds no address fails the task.
      - The files are read where the module runs (usually the controller).
    type: list
    elements: str
    default: []
  fail_on_problems:
    description:
      - Fail the task when a required flow is missing, shadowed or undecidable (the audit's
        exit code 1). With V(false) the result still says so in RV(problems).
    type: bool
    default: true
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
'''

EXAMPLES = r'''
- name: Read the ASA configuration
  cisco.asa.asa_command:
    commands: [show running-config]
  register: running

- name: Audit it against the flows Exchange hybrid needs
  hybridfw.hybrid.audit:
    topology: /etc/hybridfw/topology.toml
    content: "{{ running.stdout[0] }}"
    format: asa
  delegate_to: localhost
  register: audit

- name: Audit saved iptables-save and ip6tables-save dumps, report without failing
  hybridfw.hybrid.audit:
    topology: topology.toml
    src: [/var/backups/fw1.rules, /var/backups/fw1.rules6]
    fail_on_problems: false
  delegate_to: localhost

- name: Audit an OPNsense backup whose urltable alias Spamhaus names a downloaded list
  hybridfw.hybrid.audit:
    topology: topology.toml
    src: [/var/backups/opnsense/config.xml]
    alias_files: [Spamhaus=/var/lib/hybridfw/drop.txt]
  delegate_to: localhost
'''

RETURN = r'''
audit:
  description: The audit document, as C(hybridfw audit --json) prints it.
  returned: always
  type: dict
  contains:
    flows:
      description: One row per flow, entry, on-premises address and port (allowed, missing, stale, shadowed, unknown CIDRs).
      type: list
      elements: dict
    findings:
      description: Findings (severity, code, subject, message, evidence, fix).
      type: list
      elements: dict
    rules_to_add:
      description: The missing part of each flow rendered for the ruleset's platform (platform, files, note).
      type: dict
    endpoint_data:
      description: The endpoint data the audit used (version, label, age_days, ...).
      type: dict
problems:
  description: Whether a required flow is missing, shadowed or undecidable.
  returned: always
  type: bool
problem_flows:
  description: The flows with an error finding.
  returned: always
  type: list
  elements: str
  sample: [smtp-inbound]
rules_to_add:
  description: The rendered rules that would add what is missing, file name to text (empty when nothing is missing).
  returned: always
  type: dict
fixed:
  description:
    - The patched copies (C(files) with C(input), C(text), C(changed), C(diff)), the rounds of fix and
      re-audit it took, what is C(still_missing) after patching, and C(notes).
  returned: when O(fixed=true)
  type: dict
'''

from ansible_collections.hybridfw.hybrid.plugins.module_utils.hybridfw_api import (
    HybridfwError, automation, hybridfw_module, load_context)


def main():
    module = hybridfw_module(
        dict(
            src=dict(type='list', elements='path'),
            content=dict(type='str'),
            format=dict(type='str', default='auto',
                        choices=['auto', 'asa', 'fortigate', 'iptables', 'list', 'nft', 'nft-json', 'opnsense',
                                 'panos', 'panos-set', 'pfsense', 'srx', 'windows-json', 'windows-netsh']),
            entry=dict(type='str'),
            outside_interface=dict(type='str'),
            inside_interface=dict(type='str'),
            fixed=dict(type='bool', default=False),
            remove_stale=dict(type='bool', default=False),
            alias_files=dict(type='list', elements='str', default=[]),
            fail_on_problems=dict(type='bool', default=True),
        ),
        mutually_exclusive=[('src', 'content')],
        required_one_of=[('src', 'content')],
    )
    ctx = load_context(module)
    p = module.params
    try:
        doc = automation.audit(ctx, paths=p['src'] or (), text=p['content'], fmt=p['format'], entry=p['entry'],
                               outside_interface=p['outside_interface'],
                               inside_interface=p['inside_interface'], fixed=p['fixed'],
                               remove_stale=p['remove_stale'], alias_files=p['alias_files'])
    except HybridfwError as exc:
        module.fail_json(msg=str(exc))
    result = dict(changed=False, audit=doc, problems=doc['problems'], problem_flows=doc['problem_flows'],
                  rules_to_add=doc['rules_to_add']['files'])
    if p['fixed']:
        result['fixed'] = doc['fixed']
    if doc['problems'] and p['fail_on_problems']:
        errors = [f['message'] for f in doc['findings'] if f['severity'] == 'error']
        module.fail_json(msg='required flows are not (provably) allowed: %s' % '; '.join(errors[:5]), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
