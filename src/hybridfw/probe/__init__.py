"""Probe the path as Exchange Online does: SMTP connector validation, HTTPS publishing, DNS.

One module per kind, imported by whoever uses it (so `hybridfw probe smtp` does not pay for the
HTTPS and DNS modules):

    from hybridfw.probe.interface import SmtpOptions
    from hybridfw.probe.smtp import parse_target, probe_smtp_hosts_sync
    results = probe_smtp_hosts_sync([parse_target("mail.contoso.com")], SmtpOptions(timeout=10))
    for r in results: r.findings, r.to_dict()

Async variants (`probe.smtp.probe_smtp_hosts`, `probe.https.probe_https`, `probe.dns.probe_dns`)
run inside an event loop.
"""
