"""`hybridfw probe`: test the path the way Exchange Online does (SMTP, HTTPS, DNS, or a topology).

The probe package (and ssl/cryptography/dnspython behind it) is imported inside the commands so
`hybridfw --help` stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hybridfw.commands._common import JsonOpt

if TYPE_CHECKING:
    from hybridfw.model import Finding
    from hybridfw.probe.interface import ProbeResult, TlsOptions

RunFactory = Callable[[Callable[["ProbeResult"], None] | None], Coroutine[Any, Any, list["ProbeResult"]]]

EXIT_HELP = ("Exit codes: 0 every step passed (warnings allowed), 1 a finding of severity error "
             "(an unreachable or refusing target is a finding, never exit 3), 2 usage or input error.")
HELP = ("Probe the path as Exchange Online's connector validation does: SMTP smart hosts on 25 "
        "(banner, EHLO, STARTTLS, TLS 1.2+, certificate), the published HTTPS endpoints, the "
        "domain's DNS. With --topology and no subcommand: every host the topology names.\n\n"
        + EXIT_HELP)
sub = typer.Typer(name="probe", help=HELP, invoke_without_command=True)

ALL_PATHS = "autodiscover,autodiscover-wssecurity,ews,ews-wssecurity,mrsproxy"
TimeoutOpt = Annotated[float, typer.Option("--timeout", help="Seconds allowed for each step; a peer "
                                           "that stalls or trickles is cut off here.")]
CaFileOpt = Annotated[Path | None, typer.Option("--ca-file", help="Trust these CA certificates (PEM) "
                                                "instead of the system store.", dir_okay=False)]
CertNameOpt = Annotated[str, typer.Option("--cert-name", help="Name the certificate must match "
                                          "(the connector's TlsDomain; FQDN, *.domain or <I>..<S>..).")]
ClientCertOpt = Annotated[Path | None, typer.Option("--client-cert", help="Present this client "
                                                    "certificate (PEM; with its key unless --client-key), "
                                                    "as Exchange Online presents its own.", dir_okay=False)]
ClientKeyOpt = Annotated[Path | None, typer.Option("--client-key", help="The private key (PEM) for "
                                                   "--client-cert.", dir_okay=False)]
LegacyOpt = Annotated[bool, typer.Option("--legacy-tls/--no-legacy-tls",
                                         help="Also test whether TLS 1.0/1.1 are still accepted.")]
TopologyPathOpt = Annotated[Path | None, typer.Option("--topology", "-t", help="Topology file (TOML): "
                                                      "probe every host it names.", dir_okay=False)]


def _tls_options(ca_file: Path | None, cert_name: str, legacy: bool, client_cert: Path | None = None,
                 client_key: Path | None = None) -> TlsOptions:
    import ssl

    from hybridfw.errors import InputError
    from hybridfw.probe.interface import TlsOptions
    from hybridfw.probe.tls import verifying_context

    for field, path in (("--ca-file", ca_file), ("--client-cert", client_cert), ("--client-key", client_key)):
        if path is not None and not path.is_file():
            raise InputError("no such file", path=str(path), field=field)
    if client_key is not None and client_cert is None:
        raise InputError("--client-key needs --client-cert", field="--client-key")
    options = TlsOptions(ca_file=ca_file, cert_name=cert_name.strip(), check_legacy_versions=legacy,
                         client_cert=client_cert, client_key=client_key)
    try:
        verifying_context(ca_file)
    except ssl.SSLError as exc:
        raise InputError(f"not a PEM CA certificate file ({exc.reason or exc})", path=str(ca_file),
                         field="--ca-file") from None
    try:
        verifying_context(ca_file, options.client())
    except (ssl.SSLError, OSError) as exc:
        why = getattr(exc, "reason", None) or exc
        raise InputError(f"not a PEM certificate with its private key ({why})",
                         path=str(client_cert), field="--client-cert") from None
    return options


def _check_timeout(timeout: float) -> float:
    from hybridfw.errors import InputError

    if not 0 < timeout <= 600:
        raise InputError(f"{timeout:g} is out of range (0 < seconds <= 600)", field="--timeout")
    return timeout


def _finish(command: str, results: list[ProbeResult], json_out: bool,
            about_run: list[Finding] | None = None) -> None:
    from hybridfw.commands._probe_present import all_findings, json_document, print_results
    from hybridfw.console import print_json
    from hybridfw.model import exit_code_for

    extra = about_run or []
    if json_out:
        print_json(json_document(command, results, extra), "probe")
    else:
        print_results(results, about_run=extra)
    raise typer.Exit(exit_code_for(all_findings(results) + extra))


def _run_with_progress(count: int, json_out: bool, run: RunFactory) -> list[ProbeResult]:
    """Run the coroutine `run(on_done)`, with a progress bar on a terminal only."""
    from hybridfw.probe.loop import run as run_loop

    if json_out or count < 2 or not sys.stderr.isatty():
        return run_loop(run(None))
    from rich.progress import Progress

    from hybridfw.console import err

    with Progress(console=err(), transient=True) as progress:
        task = progress.add_task("probing", total=count)
        return run_loop(run(lambda _result: progress.advance(task)))


def _root_options_unused(topology: Path | None, timeout: float, ca_file: Path | None, legacy: bool,
                         json_out: bool) -> None:
    """`hybridfw probe --json smtp ...` would silently ignore --json: say where options belong."""
    from hybridfw.errors import InputError

    if topology is not None or timeout != 10.0 or ca_file is not None or not legacy or json_out:
        raise InputError("options before the subcommand apply to --topology only; put them after "
                         "the subcommand (e.g. `hybridfw probe smtp HOST --json`)", field="probe")


@sub.callback()
def probe_root(ctx: typer.Context, topology: TopologyPathOpt = None, timeout: TimeoutOpt = 10.0,
               ca_file: CaFileOpt = None, legacy: LegacyOpt = True, json_out: JsonOpt = False) -> None:
    """Probe every host a topology names (SMTP on 25 with its certificate name, web names on 443)."""
    if ctx.invoked_subcommand is not None:
        _root_options_unused(topology, timeout, ca_file, legacy, json_out)
        return
    if topology is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(2)
    from hybridfw.probe.interface import HttpsOptions, SmtpOptions
    from hybridfw.probe.plan import not_probed, plan_from_topology, probe_plan
    from hybridfw.topology import load_topology

    plan = plan_from_topology(load_topology(topology))
    tls = _tls_options(ca_file, "", legacy)
    smtp = SmtpOptions(timeout=_check_timeout(timeout), tls=tls)
    https = HttpsOptions(timeout=timeout, tls=tls)
    results = _run_with_progress(len(plan.smtp_targets) + len(plan.web_names), json_out,
                                 lambda _on_done: probe_plan(plan, smtp, https))
    _finish("probe --topology", results, json_out, not_probed(plan))



@sub.command("smtp", epilog=EXIT_HELP)
def smtp_cmd(
    hosts: Annotated[list[str], typer.Argument(help="Smart hosts: HOST, HOST:PORT or [IPv6]:PORT.",
                                               metavar="HOST[:PORT]...")],
    cert_name: CertNameOpt = "",
    helo: Annotated[str, typer.Option("--helo", help="EHLO name (default: this host's name).")] = "",
    rcpt: Annotated[str, typer.Option("--rcpt", help="Also MAIL FROM / RCPT TO this address "
                                      "(no DATA).")] = "",
    mail_from: Annotated[str, typer.Option("--mail-from", help="Sender for --rcpt/--send (default: "
                                           "hybridfw-probe@<helo>).")] = "",
    send: Annotated[bool, typer.Option("--send", help="Also send a small test message to --rcpt.")] = False,
    ca_file: CaFileOpt = None,
    client_cert: ClientCertOpt = None,
    client_key: ClientKeyOpt = None,
    timeout: TimeoutOpt = 10.0,
    legacy: LegacyOpt = True,
    json_out: JsonOpt = False,
) -> None:
    """Probe smart hosts on TCP 25 as Exchange Online's connector validation does.

    Resolve, connect, banner, EHLO, STARTTLS, TLS version/cipher/chain, certificate name, expiry
    and issuer; each finding carries the text Exchange Online would report. Hosts are probed
    concurrently.
    """
    from hybridfw.errors import InputError
    from hybridfw.probe.interface import SmtpOptions
    from hybridfw.probe.smtp import parse_target, probe_smtp_hosts

    targets = [parse_target(h) for h in hosts]
    for field, address in (("--rcpt", rcpt), ("--mail-from", mail_from)):
        if address and ("@" not in address or any(c in address for c in " <>\r\n")):
            raise InputError(f"{address!r} is not an email address", field=field)
    if send and not rcpt:
        raise InputError("--send needs --rcpt", field="--send")
    options = SmtpOptions(timeout=_check_timeout(timeout), helo=helo.strip(), rcpt=rcpt, send=send,
                          mail_from=mail_from,
                          tls=_tls_options(ca_file, cert_name, legacy, client_cert, client_key))
    results = _run_with_progress(len(targets), json_out,
                                 lambda on_done: probe_smtp_hosts(targets, options, on_done))
    _finish("probe smtp", results, json_out)


@sub.command("https", epilog=EXIT_HELP)
def https_cmd(
    target: Annotated[str, typer.Argument(help="Published name or URL (https://host[:port]/...).",
                                          metavar="HOST|URL")],
    paths: Annotated[str, typer.Option("--paths", help="Which paths to GET (comma-separated): "
                                       "autodiscover, autodiscover-wssecurity, ews, ews-wssecurity, "
                                       "mrsproxy.")] = ALL_PATHS,
    url: Annotated[list[str] | None, typer.Option("--url", help="NAME=URL: the URL the hybrid "
                                                  "configuration names for that path (e.g. ews=https://"
                                                  "mail.contoso.com/EWS/Exchange.asmx); same host as "
                                                  "the target. Repeatable.")] = None,
    cert_name: CertNameOpt = "",
    ca_file: CaFileOpt = None,
    client_cert: ClientCertOpt = None,
    client_key: ClientKeyOpt = None,
    timeout: TimeoutOpt = 10.0,
    legacy: LegacyOpt = True,
    json_out: JsonOpt = False,
) -> None:
    """Probe the published Autodiscover/EWS/MRSProxy endpoint on 443.

    TLS and certificate as for SMTP; then each path is requested as Exchange Online calls it
    (/EWS/Exchange.asmx as spelled): a 401 with WWW-Authenticate means published and reachable,
    while 403, 404, redirects on EWS/MRSProxy, login redirects and time-outs are findings.
    """
    from hybridfw.probe.https import https_overrides, parse_paths, parse_web_target, probe_https
    from hybridfw.probe.interface import HttpsOptions
    from hybridfw.probe.loop import run

    host, port = parse_web_target(target)
    options = HttpsOptions(timeout=_check_timeout(timeout), paths=parse_paths(paths),
                           overrides=https_overrides(url or [], host, port),
                           tls=_tls_options(ca_file, cert_name, legacy, client_cert, client_key))
    _finish("probe https", [run(probe_https(target, options))], json_out)


@sub.command("dns", epilog=EXIT_HELP)
def dns_cmd(
    domain: Annotated[str, typer.Argument(help="The mail domain, e.g. contoso.com.")],
    nameserver: Annotated[str, typer.Option("--nameserver", help="Ask this server (IP[:PORT]) "
                                            "instead of the system resolver.")] = "",
    follow_mx: Annotated[bool, typer.Option("--follow-mx", help="Then probe each MX host with "
                                            "`probe smtp` (STARTTLS, certificate), as the Remote "
                                            "Connectivity Analyzer does.")] = False,
    smtp_port: Annotated[int, typer.Option("--smtp-port", help="Port for --follow-mx (a relay or "
                                           "test server on another port).", min=1, max=65535)] = 25,
    ca_file: CaFileOpt = None,
    timeout: TimeoutOpt = 10.0,
    json_out: JsonOpt = False,
) -> None:
    """Check a mail domain's MX, SPF and Autodiscover records for hybrid.

    MX at Exchange Online or where else (null MX, unresolvable or dangling targets fail); SPF
    parses, includes spf.protection.outlook.com and is evaluated as RFC 7208 counts it (10 look-up
    terms, 2 void look-ups, loops); Autodiscover is published and its CNAME resolves.
    """
    from hybridfw.probe.dns import parse_nameserver, probe_dns
    from hybridfw.probe.interface import DnsOptions, SmtpOptions
    from hybridfw.probe.loop import run

    server, port = parse_nameserver(nameserver) if nameserver else ("", 53)
    options = DnsOptions(timeout=_check_timeout(timeout), nameserver=server, nameserver_port=port)
    if not follow_mx:
        _finish("probe dns", [run(probe_dns(domain, options))], json_out)
    from hybridfw.probe.follow_mx import probe_dns_following_mx

    smtp = SmtpOptions(timeout=timeout, tls=_tls_options(ca_file, "", False))
    _finish("probe dns", run(probe_dns_following_mx(domain, options, smtp, smtp_port)), json_out)


def register(app: typer.Typer) -> None:
    app.add_typer(sub)
