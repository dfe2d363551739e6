"""The SPF part of `probe dns`: one record, its syntax, its final `all`, and the RFC 7208 walk.

The findings say what a receiver does (permerror at the 11th look-up term or the 3rd void
look-up, a loop) and whether mail from Exchange Online still passes before that point.
"""

from __future__ import annotations

from typing import Any

from hybridfw.errors import SpfSyntaxError
from hybridfw.model import Severity
from hybridfw.probe.interface import StepStatus
from hybridfw.probe.recorder import Recorder
from hybridfw.probe.spf import (
    EXCHANGE_ONLINE_INCLUDE,
    LOOKUP_LIMIT,
    SpfRecord,
    is_spf,
    parse_spf,
)
from hybridfw.probe.spf_walk import VOID_LIMIT, Query, SpfWalk, walk_spf


def txt_text(record: Any) -> str:
    return b"".join(record.strings).decode("utf-8", "replace")


async def _spf_text(rec: Recorder, query: Query, domain: str, timeout: float) -> str | None:
    async with rec.step("SPF", timeout) as step:
        texts = [txt_text(r) for r in await query(domain, "TXT")]
        spf = [t for t in texts if is_spf(t)]
        step.detail = " | ".join(spf) or "(none)"
        rec.facts["spf"] = spf
        if len(spf) == 1:
            return spf[0]
        step.status = "fail"
        if spf:
            rec.finding(Severity.ERROR, "probe.dns.spf-multiple",
                        f"{len(spf)} SPF records: receivers treat this as a permanent error",
                        fix="Merge them into one v=spf1 record.", evidence=tuple(spf))
        else:
            rec.finding(Severity.ERROR, "probe.dns.no-spf", f"{domain} publishes no SPF record",
                        fix=f"Publish 'v=spf1 include:{EXCHANGE_ONLINE_INCLUDE} -all' plus your "
                            "on-premises outbound addresses (ip4:/ip6:).")
        return None


def _judge_all(rec: Recorder, record: SpfRecord) -> None:
    term = record.all_term()
    if term is not None and term.qualifier in ("", "+"):
        rec.finding(Severity.ERROR, "probe.dns.spf-plus-all",
                    "SPF ends in '+all': every host on the Internet may send as this domain",
                    fix="End the record with '-all' (or '~all' while testing).")
    elif term is not None and term.qualifier == "?":
        rec.finding(Severity.WARNING, "probe.dns.spf-neutral-all", "SPF ends in '?all' (neutral)",
                    fix="End the record with '-all' or '~all'.")


async def judge_spf(rec: Recorder, query: Query, domain: str, timeout: float) -> None:
    text = await _spf_text(rec, query, domain, timeout)
    if text is None:
        return
    try:
        record = parse_spf(text)
    except SpfSyntaxError as exc:
        rec.finding(Severity.ERROR, "probe.dns.spf-invalid", f"SPF record does not parse: {exc}",
                    fix="Correct the record (RFC 7208 syntax).", evidence=(text,))
        return
    _judge_all(rec, record)
    async with rec.step("SPF evaluation (RFC 7208)", timeout * 4) as step:
        walk = await walk_spf(domain, query)
        step.detail = (f"{walk.lookups} DNS look-up terms (limit {LOOKUP_LIMIT}), "
                       f"{walk.void_lookups} void (limit {VOID_LIMIT})")
        bad = walk.lookups > LOOKUP_LIMIT or walk.void_lookups > VOID_LIMIT or walk.loops or walk.broken
        step.status = "fail" if bad else "pass"
    rec.facts["spf_lookups"] = walk.lookups
    rec.facts["spf_void_lookups"] = walk.void_lookups
    rec.facts["spf_walk"] = walk.to_dict()
    _judge_limits(rec, walk)
    _judge_structure(rec, walk)
    _judge_exchange_online(rec, walk)


def _exo_note(walk: SpfWalk) -> str:
    if walk.exo_done_at is not None and walk.exo_done_at <= LOOKUP_LIMIT:
        return (f" Mail from Exchange Online still passes (its include is complete at look-up "
                f"{walk.exo_done_at}); senders matched by later terms get permerror.")
    if walk.exo_path is not None:
        return f" Exchange Online's include ends past look-up {LOOKUP_LIMIT}: its mail gets permerror too."
    return ""


def _judge_limits(rec: Recorder, walk: SpfWalk) -> None:
    first_over = walk.past_limit()
    if first_over is not None:
        more = "+" if walk.capped else ""
        rec.finding(Severity.ERROR, "probe.dns.spf-too-many-lookups",
                    f"SPF evaluation needs {walk.lookups}{more} DNS look-up terms; receivers return "
                    f"permerror at look-up {LOOKUP_LIMIT + 1}: {first_over.term} in {first_over.record}."
                    + _exo_note(walk),
                    fix="Replace include:/a/mx terms by ip4:/ip6: ranges or drop unused includes; keep "
                        f"include:{EXCHANGE_ONLINE_INCLUDE} early in the record.",
                    evidence=tuple(t.render() for t in walk.terms[:LOOKUP_LIMIT + 5]))
    if walk.void_lookups > VOID_LIMIT:
        rec.finding(Severity.ERROR, "probe.dns.spf-void-lookups",
                    f"SPF evaluation makes {walk.void_lookups} void look-ups (NXDOMAIN or no records); "
                    f"receivers return permerror after {VOID_LIMIT} (RFC 7208 4.6.4)",
                    fix="Remove the terms that name domains without records.", evidence=tuple(walk.voids))


def _judge_structure(rec: Recorder, walk: SpfWalk) -> None:
    for loop in walk.loops:
        rec.finding(Severity.ERROR, "probe.dns.spf-loop", f"SPF include loop: {loop}",
                    fix="Remove the include that points back; receivers evaluate it until the "
                        f"{LOOKUP_LIMIT}-look-up limit and return permerror.")
    for problem in walk.broken:
        rec.finding(Severity.ERROR, "probe.dns.spf-include-broken", f"SPF include problem: {problem}",
                    fix="Remove or correct the include; receivers treat it as a permanent error.")
    for note in walk.warnings:
        rec.finding(Severity.WARNING, "probe.dns.spf-ptr", note,
                    fix="Replace ptr by ip4:/ip6: ranges or a/mx terms.")
    if walk.capped:
        rec.finding(Severity.INFO, "probe.dns.spf-walk-capped",
                    "the SPF walk stopped after 200 look-up terms; the counts shown are a lower bound")


def _judge_exchange_online(rec: Recorder, walk: SpfWalk) -> None:
    if walk.exo_path is not None:
        via = " -> ".join(walk.exo_path)
        if walk.exo_shadowed:  # e.g. '-ip4:40.92.0.0/15' before the include: those addresses fail
            rec.add_step("SPF includes Exchange Online", "fail",
                         f"include:{EXCHANGE_ONLINE_INCLUDE} in {via}, but a term before it matches "
                         "some of its addresses first")
            rec.finding(Severity.ERROR, "probe.dns.spf-exo-shadowed",
                        f"SPF names {EXCHANGE_ONLINE_INCLUDE}, but a term before it matches some of "
                        "Exchange Online's sending addresses with another result than pass: mail "
                        "Exchange Online sends from them for this domain fails SPF",
                        fix=(f"Remove that term, or narrow it so it no longer covers Exchange Online's "
                             f"ranges, or put 'include:{EXCHANGE_ONLINE_INCLUDE}' before it."),
                        evidence=tuple(walk.exo_shadowed))
            return
        rec.add_step("SPF includes Exchange Online", "pass", f"include:{EXCHANGE_ONLINE_INCLUDE} in {via}")
        return
    include = f"include:{EXCHANGE_ONLINE_INCLUDE}"
    fails = "mail Exchange Online sends for this domain fails SPF (5.7.23 at strict receivers)"
    severity, code, evidence = Severity.ERROR, "probe.dns.spf-no-exo", walk.exo_not_pass
    status: StepStatus = "fail"
    if walk.not_followed:
        status, detail = "skip", "not decided: macro terms"
        severity, code, evidence = Severity.WARNING, "probe.dns.spf-exo-unknown", walk.not_followed
        message = (f"SPF does not name {EXCHANGE_ONLINE_INCLUDE} in the records walked, but terms with "
                   "macros depend on the sender and were not followed; not decided")
        fix = (f"Check that mail from Exchange Online passes (e.g. a test message's "
               f"Authentication-Results), or add '{include}'.")
    elif walk.exo_not_pass:  # named, but after an `all` or behind a qualifier other than `+`
        detail = "named, but its mail cannot get pass"
        message = f"SPF names {EXCHANGE_ONLINE_INCLUDE}, but where no receiver gives it a pass: {fails}"
        fix = f"Put a plain '{include}' (no '-', '~' or '?' before it) before the final all term."
    else:
        detail = "not in any record walked"
        message = f"SPF does not include {EXCHANGE_ONLINE_INCLUDE}: {fails}"
        fix = f"Add '{include}' before the final all term."
    rec.add_step("SPF includes Exchange Online", status, detail)
    rec.finding(severity, code, message, fix=fix, evidence=tuple(evidence))
