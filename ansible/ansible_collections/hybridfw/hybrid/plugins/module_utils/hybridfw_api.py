# -*- coding: utf-8 -*-
# Copyright: hybridfw contributors; MIT License (see the hybridfw repository)
"""Shared by the hybridfw.hybrid modules: import hybridfw once, turn its errors into results."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import sys
import traceback

try:
    from hybridfw import automation
    from hybridfw.errors import HybridfwError
except ImportError:
    automation = None
    HybridfwError = Exception
    IMPORT_ERROR = traceback.format_exc()
else:
    IMPORT_ERROR = None

COMMON_ARGS = dict(
    topology=dict(type='path', required=True),
    home=dict(type='path'),
)


def hybridfw_module(options, **kwargs):
    """An AnsibleModule taking the common options plus `options`, check mode supported."""
    from ansible.module_utils.basic import AnsibleModule

    return AnsibleModule(argument_spec=dict(COMMON_ARGS, **options), supports_check_mode=True, **kwargs)


def require_hybridfw(module):
    """Fail the task when hybridfw is not importable by the Python running the module."""
    if automation is None:
        from ansible.module_utils.basic import missing_required_lib
        module.fail_json(msg=missing_required_lib('hybridfw') + ' (interpreter %s)' % sys.executable,
                         exception=IMPORT_ERROR)


def load_context(module):
    """The topology, endpoint data and flows; a bad topology fails the task with hybridfw's line."""
    require_hybridfw(module)
    try:
        return automation.load(module.params['topology'], module.params['home'])
    except HybridfwError as exc:
        module.fail_json(msg=str(exc))
