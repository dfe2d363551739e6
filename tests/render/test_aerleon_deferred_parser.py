"""aerleon's .pol parser is built on first use, not at import; it must still parse and reject."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent('''
    import sys
    from hybridfw.render.aerleon_backend import _DeferredParser, _import_policy_module
    _import_policy_module()
    from aerleon.lib import naming, policy
    assert isinstance(policy.parser, _DeferredParser), type(policy.parser)
    assert policy.parser._parser is None  # not built by the import
    defs = naming.Naming()
    defs.ParseDefinitionsObject({"networks": {"MAIL": {"values": [{"address": "192.0.2.1/32"}]}},
                                 "services": {"SMTP": [{"port": 25, "protocol": "tcp"}]}}, "t")
    text = """header {
      target:: iptables INPUT DROP
    }
    term allow-smtp {
      source-address:: MAIL
      destination-port:: SMTP
      protocol:: tcp
      action:: accept
    }
    """
    parsed = policy.ParsePolicy(text, defs, optimize=False)
    terms = [t for _, ts in parsed.filters for t in ts]
    print(terms[0].name, terms[0].destination_port, [str(a) for a in terms[0].source_address])
    try:
        policy.ParsePolicy("header { target:: iptables", defs)
    except policy.ParseError as exc:
        print("rejected:", type(exc).__name__)
''')


def test_policy_parser_is_built_on_first_use_and_still_parses() -> None:
    # A fresh interpreter: the test session may have imported aerleon.lib.policy already.
    run = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "allow-smtp [(25, 25)] ['192.0.2.1/32']"
    assert lines[1] == "rejected: ParseError"
