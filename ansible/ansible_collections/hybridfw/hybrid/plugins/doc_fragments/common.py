# -*- coding: utf-8 -*-
# Copyright: hybridfw contributors; MIT License (see the hybridfw repository)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """The options every hybridfw.hybrid module shares (module_utils/hybridfw_api.COMMON_ARGS)."""

    DOCUMENTATION = r'''
options:
  topology:
    description: The hybridfw topology file (TOML) describing the on-premises side.
    type: path
    required: true
  home:
    description:
      - hybridfw data home (endpoint store) where the module runs; default C($HYBRIDFW_HOME) or
        the user data directory.
    type: path
requirements:
  - hybridfw (Python package) in the module's interpreter
'''

    # Modules that change something and support both --check and --diff.
    CHECK_DIFF = r'''
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
'''
