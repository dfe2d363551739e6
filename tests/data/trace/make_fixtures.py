# ruff: noqa: E501
"""Write the trace fixtures (run from the repository root: python tests/data/trace/make_fixtures.py).

Each file is written the way its producer writes it (encoding, BOM, `#TYPE` line, CRLF,
quoting), and `expected.json` records — from the hand-labelled cases, not from hybridfw — which
cause every fixture must be diagnosed as, how often.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from cases import EXO_CASES, EXO_EXPECTED, ONPREM_CASES, ONPREM_EXPECTED, PROTOCOL_CASES  # noqa: E402

TENANT = "5f2b1c3d-8e4a-4b6c-9d0e-1f2a3b4c5d6e"
EO_HOST = "NAM12-DM6-obe.outbound.protection.outlook.com"
EO_HOST_2 = "EUR05-AM6-obe.outbound.protection.outlook.com"
UNLISTED_V4 = "52.104.12.34"  # outside 52.100.0.0/14 and every other EOP range
UNLISTED_V6 = "2a01:111:f406:1c01::25"
UNLISTED_FROMIP = "40.96.12.7"  # published for Exchange (set 1) but not in the SMTP set
expected: dict[str, dict[str, int]] = {}


def csv_text(rows: list[list[str]], *, quote_all: bool = True) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerows(rows)
    return buf.getvalue()


def write(name: str, text: str, encoding: str, bom: bytes = b"") -> None:
    (HERE / name).write_bytes(bom + text.encode(encoding))


def ts(minute: int, fmt: str = "iso") -> str:
    hour, minute = 8 + minute // 60, minute % 60
    if fmt == "us":
        return f"5/29/2026 {hour % 12 or 12}:{minute:02d}:07 {'AM' if hour < 12 else 'PM'}"
    return f"2026-05-29T{hour:02d}:{minute:02d}:07.{minute:03d}Z"


def trace_detail() -> None:
    header = ["PSComputerName", "RunspaceId", "PSShowComputerName", "Organization", "MessageId",
              "MessageTraceId", "RecipientAddress", "Date", "Event", "Action", "Detail", "Data",
              "StartDate", "EndDate"]
    rows = [header]
    counts: Counter[str] = Counter()
    for i, (name, text) in enumerate(EXO_CASES.items()):
        repeat = 3 if name == "founding" else 1
        for r in range(repeat):
            mid = f"<CH0PR12MB{i:04d}{r}@CH0PR12MB5000.namprd12.prod.outlook.com>"
            trace_id = f"c20e0f7a-f06b-41df-fe33-08d9da15{i:02d}{r:02d}"
            rcpt = f"user{i}@contoso.com"
            data = (f'<root><MEP Name="ConnectorId" String="Outbound to {TENANT}"/>\n'
                    f'<MEP Name="ServerHostName" String="{EO_HOST}"/></root>')
            rows.append(["outlook.office365.com", "0d1c2b3a-4e5f-6071-8293-a4b5c6d7e8f9", "False",
                         "contoso.onmicrosoft.com", mid, trace_id, rcpt, ts(i, "us"), "Receive", "",
                         "Message received by: CH0PR12MB5000.namprd12.prod.outlook.com", "", "", ""])
            event = "Defer" if text.startswith("4") or "4.4.101" in text[:20] else "Fail"
            detail = f"The message was deferred. {text}" if event == "Defer" else text
            rows.append(["outlook.office365.com", "0d1c2b3a-4e5f-6071-8293-a4b5c6d7e8f9", "False",
                         "contoso.onmicrosoft.com", mid, trace_id, rcpt, ts(i + 1, "us"), event, event,
                         detail, data, "", ""])
            counts[EXO_EXPECTED[name]] += 1
    body = "#TYPE Deserialized.Microsoft.Exchange.Management.FfoReporting.MessageTraceDetail\r\n"
    write("trace_detail_utf16_type.csv", body + csv_text(rows), "utf-16-le", codecs.BOM_UTF16_LE)
    expected["trace_detail_utf16_type.csv"] = dict(counts)


def message_trace() -> None:
    header = ["PSComputerName", "RunspaceId", "PSShowComputerName", "Organization", "MessageId", "Received",
              "SenderAddress", "RecipientAddress", "Subject", "Status", "ToIP", "FromIP", "Size",
              "MessageTraceId", "StartDate", "EndDate", "Index"]
    plan = [("Delivered", "", "40.107.1.5"), ("Failed", "203.0.113.25", ""), ("Pending", "203.0.113.25", ""),
            ("Delivered", "", UNLISTED_FROMIP), ("Delivered", "", "81.2.69.160"), ("FilteredAsSpam", "", "81.2.69.160"),
            ("Failed", "203.0.113.26", ""), ("Delivered", "", UNLISTED_FROMIP)]
    rows = [header]
    for i, (status, to_ip, from_ip) in enumerate(plan):
        rows.append(["outlook.office365.com", "0d1c2b3a-4e5f-6071-8293-a4b5c6d7e8f9", "False",
                     "contoso.onmicrosoft.com", f"<msg{i}@contoso.com>", ts(i, "us"), "ann@fabrikam.com",
                     f"bob{i}@contoso.com", "Quarterly numbers, draft 2", status, to_ip, from_ip, "48213",
                     f"a1b2c3d4-0000-4000-8000-{i:012d}", ts(0, "us"), ts(90, "us"), str(i)])
    type_line = "#TYPE Deserialized.Microsoft.Exchange.Management.FfoReporting.MessageTrace\r\n"
    write("message_trace_ps51_ascii.csv", type_line + csv_text(rows), "ascii")
    v2 = [[c for j, c in enumerate(row) if j >= 3] for row in rows]  # PowerShell 7: no #TYPE, no PS* columns
    write("message_trace_v2_utf8.csv", csv_text(v2), "utf-8")
    expected["message_trace_ps51_ascii.csv"] = {"no-detail": 3}
    expected["message_trace_v2_utf8.csv"] = {"no-detail": 3}


EXTENDED_FIELDS = ["date_time_utc", "client_ip", "client_hostname", "server_ip", "server_hostname",
                   "source_context", "connector_id", "source", "event_id", "internal_message_id", "message_id",
                   "network_message_id", "recipient_address", "recipient_status", "total_bytes",
                   "recipient_count", "related_recipient_address", "reference", "message_subject",
                   "sender_address", "return_path", "message_info", "directionality", "tenant_id",
                   "original_client_ip", "original_server_ip", "custom_data"]


def event_row(fields: list[str], **values: str) -> list[str]:
    return [values.get(f.replace("-", "_"), "") for f in fields]


def extended() -> None:
    rows = [EXTENDED_FIELDS]
    counts: Counter[str] = Counter()
    picks = ["founding", "connection-refused", "subject-mismatch", "starttls-required", "tls-socket-error",
             "queue-expired", "founding", "closed-abruptly"]
    for i, name in enumerate(picks):
        mid = f"<ext{i}@contoso.onmicrosoft.com>"
        rows.append(event_row(EXTENDED_FIELDS, date_time_utc=ts(i), source="SMTP", event_id="RECEIVE",
                              client_ip=UNLISTED_V4 if i % 2 else "40.92.5.5",
                              client_hostname=EO_HOST_2 if i % 2 else EO_HOST, message_id=mid,
                              recipient_address=f"carol{i}@contoso.com", directionality="Originating",
                              custom_data="S:MimeParts=Att/Emb/Txt/Htm\nS:tlsversion=SP_PROT_TLS1_2_CLIENT"))
        event = "DEFER" if EXO_CASES[name][0] == "4" else "FAIL"
        rows.append(event_row(EXTENDED_FIELDS, date_time_utc=ts(i + 1), source="SMTP", event_id=event,
                              message_id=mid, recipient_address=f"carol{i}@contoso.com",
                              recipient_status=EXO_CASES[name], connector_id=f"Outbound to {TENANT}",
                              directionality="Originating", tenant_id=TENANT))
        counts[EXO_EXPECTED[name]] += 1
    text = csv_text(rows)
    text += '"2026-05-29T10:59:59.000Z","40.92.5.5","' + EO_HOST + '","","","","","SMTP","FAIL","","<cut'
    write("extended_utf16.csv", text, "utf-16-le", codecs.BOM_UTF16_LE)
    expected["extended_utf16.csv"] = dict(counts)


def enhanced() -> None:
    header = ["origin_timestamp_utc", "sender_address", "recipient_status", "message_subject", "total_bytes",
              "message_id", "network_message_id", "original_client_ip", "directionality", "connector_id",
              "delivery_priority"]
    statuses = ["dave@contoso.com##Receive, Send", "erin@contoso.com##Receive, Fail",
                "frank@contoso.com##Receive, Deliver;gina@contoso.com##Receive, Defer", "hal@contoso.com##Receive, Fail"]
    rows = [header] + [[ts(i), "ann@fabrikam.com", s, "Müller & Söhne, Angebot", "5120", f"<enh{i}@fabrikam.com>",
                        f"9f8e7d6c-{i:04d}-4000-8000-000000000000", "81.2.69.160", "Incoming", "", "Normal"]
                       for i, s in enumerate(statuses)]
    write("enhanced_summary_utf8bom.csv", csv_text(rows), "utf-8", codecs.BOM_UTF8)
    expected["enhanced_summary_utf8bom.csv"] = {"no-detail": 3}


def summary() -> None:
    rows = [["Date", "Sender", "Recipient", "Subject", "Status", "Message ID", "From IP", "To IP"],
            [ts(1), "ann@fabrikam.com", "ivan@contoso.com", "Hello", "Delivered", "<s1@fabrikam.com>", "81.2.69.160", ""],
            [ts(2), "ann@fabrikam.com", "judy@contoso.com", "Hello", "Failed", "<s2@fabrikam.com>", "", "203.0.113.25"]]
    write("summary_report_ascii.csv", csv_text(rows, quote_all=False), "ascii")
    expected["summary_report_ascii.csv"] = {"no-detail": 1}


MSGTRK_FIELDS = ("date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,"
                 "source,event-id,internal-message-id,message-id,network-message-id,recipient-address,"
                 "recipient-status,total-bytes,recipient-count,related-recipient-address,reference,"
                 "message-subject,sender-address,return-path,message-info,directionality,tenant-id,"
                 "original-client-ip,original-server-ip,custom-data,transport-traffic-type,log-id,schema-version")


def msgtrk() -> None:
    fields = MSGTRK_FIELDS.split(",")
    head = ("#Software: Microsoft Exchange Server\r\n#Version: 15.02.1544.004\r\n"
            "#Log-type: Message Tracking Log\r\n#Date: 2026-05-29T08:00:01.000Z\r\n"
            f"#Fields: {MSGTRK_FIELDS}\r\n")
    rows: list[list[str]] = []
    counts: Counter[str] = Counter()
    for i, (name, text) in enumerate(ONPREM_CASES.items()):
        mid = f"<onprem{i}@contoso.com>"
        rows.append(event_row(fields, date_time=ts(i), source="SMTP", event_id="RECEIVE", client_ip="10.0.0.12",
                              client_hostname="EX01.contoso.local", message_id=mid,
                              recipient_address=f"kim{i}@contoso.mail.onmicrosoft.com", sender_address="lee@contoso.com",
                              message_subject="Re: budget, v2"))
        rows.append(event_row(fields, date_time=ts(i + 1), source="SMTP", event_id="FAIL" if text[0] == "5" else "DEFER",
                              message_id=mid, recipient_address=f"kim{i}@contoso.mail.onmicrosoft.com",
                              recipient_status=text, connector_id=f"Outbound to Office 365 {TENANT}",
                              sender_address="lee@contoso.com"))
        counts[ONPREM_EXPECTED[name]] += 1
    for i, (ip, host) in enumerate([("40.107.236.45", EO_HOST), (UNLISTED_V4, EO_HOST_2), (UNLISTED_V4, EO_HOST_2),
                                    ("81.2.69.160", "mail.partner.example")]):
        rows.append(event_row(fields, date_time=ts(100 + i), source="SMTP", event_id="RECEIVE", client_ip=ip,
                              client_hostname=host, server_hostname="EX01", connector_id="EX01\\Default Frontend EX01",
                              message_id=f"<in{i}@contoso.onmicrosoft.com>", recipient_address="mia@contoso.com"))
    write("MSGTRK2026052908-1.LOG", head + csv_text(rows, quote_all=False), "utf-8", codecs.BOM_UTF8)
    expected["MSGTRK2026052908-1.LOG"] = dict(counts)


def protocol_logs() -> None:
    fields = "date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context"
    head = ("#Software: Microsoft Exchange Server\r\n#Version: 15.02.1544.004\r\n"
            "#Log-type: SMTP Receive Protocol Log\r\n#Date: 2026-05-29T08:00:00.000Z\r\n"
            f"#Fields: {fields}\r\n")
    local = "203.0.113.25:25"
    sessions = [("08DC7F0A1B2C3D01", "40.107.22.36:51000", [("<", f"EHLO {EO_HOST}", "")]),
                ("08DC7F0A1B2C3D02", f"[{UNLISTED_V6}]:52000",
                 [("<", "EHLO mail-eopbgr.example", ""), ("*", "CN=mail.protection.outlook.com, O=Microsoft "
                  "Corporation, L=Redmond, S=Washington, C=US", "Remote certificate")]),
                ("08DC7F0A1B2C3D03", "192.0.2.10:40000", [("<", "EHLO mail.example.org", "")])]
    rows: list[list[str]] = []
    seq = 0
    for s_index, (sid, remote, lines) in enumerate(sessions):
        rows.append([ts(s_index), "EX01\\Default Frontend EX01", sid, "0", local, remote, "+", "", ""])
        for event, data, context in lines:
            rows.append([ts(s_index), "EX01\\Default Frontend EX01", sid, str(seq := seq + 1), local, remote,
                         event, data, context])
        rows.append([ts(s_index), "EX01\\Default Frontend EX01", sid, "", local, remote, "<",
                     f"RCPT TO:<nina{s_index}@contoso.com>", ""])
        text = list(PROTOCOL_CASES.values())[s_index]
        event = ">" if text[0].isdigit() else "*"
        rows.append([ts(s_index), "EX01\\Default Frontend EX01", sid, "", local, remote, event, text, ""])
        rows.append([ts(s_index), "EX01\\Default Frontend EX01", sid, "", local, remote, "-", "", "Local"])
    # The fourth case in a session that never disconnects (log rolled), interleaved with a
    # back-pressure session; each session is one diagnosis.
    sid, other = "08DC7F0A1B2C3D04", "08DC7F0A1B2C3D05"
    rows.append([ts(9), "EX01\\Default Frontend EX01", sid, "0", local, "198.51.100.9:1234", "+", "", ""])
    rows.append([ts(9), "EX01\\Default Frontend EX01", other, "0", local, "198.51.100.8:1234", "+", "", ""])
    rows.append([ts(9), "EX01\\Default Frontend EX01", sid, "1", local, "198.51.100.9:1234", ">",
                 list(PROTOCOL_CASES.values())[3], ""])
    rows.append([ts(9), "EX01\\Default Frontend EX01", other, "1", local, "198.51.100.8:1234", ">",
                 "452 4.3.1 Insufficient system resources", ""])
    write("RECV2026052908-1.LOG", head + csv_text(rows, quote_all=False), "ascii")
    expected["RECV2026052908-1.LOG"] = {"tls-unknown-credentials": 1, "tls-no-credentials": 1,
                                        "untrusted-chain": 1, "anonymous-not-allowed": 1, "back-pressure": 1}
    send_head = head.replace("SMTP Receive Protocol Log", "SMTP Send Protocol Log")
    sid, remote = "08DC7F0A1B2C3E01", "40.107.22.36:25"
    connector = f"Outbound to Office 365 {TENANT}"
    send_rows = [[ts(20), connector, sid, "0", "203.0.113.25:61000", remote, "+", "", ""],
                 [ts(20), connector, sid, "1", "203.0.113.25:61000", remote, "<",
                  "220 BN8NAM12FT055.mail.protection.outlook.com Microsoft ESMTP MAIL Service ready", ""],
                 [ts(20), connector, sid, "2", "203.0.113.25:61000", remote, ">", "RCPT TO:<olga@contoso.mail.onmicrosoft.com>", ""],
                 [ts(20), connector, sid, "3", "203.0.113.25:61000", remote, "<", "550 5.7.64 TenantAttribution; Relay Access Denied", ""],
                 [ts(21), connector, sid, "4", "203.0.113.25:61000", remote, "<", "421 4.3.2 Service not available, closing transmission channel", ""],
                 [ts(21), connector, sid, "5", "203.0.113.25:61000", remote, "-", "", "Remote"]]
    write("SEND2026052908-1.LOG", send_head + csv_text(send_rows, quote_all=False), "utf-8")
    # One session: the 421 4.3.2 that closes it after the 5.7.64 is no second failure.
    expected["SEND2026052908-1.LOG"] = {"tenant-attribution": 1}


def ndr() -> None:
    text = (
        "Delivery has failed to these recipients or groups:\r\n\r\n"
        "Jürgen Weiß (juergen@contoso.com)\r\n"
        "Your message couldn't be delivered. Despite repeated attempts to deliver your message, the "
        "recipient's email system refused the connection.\r\n\r\n"
        "Diagnostic information for administrators:\r\n\r\n"
        "Generating server: CH0PR12MB5000.namprd12.prod.outlook.com\r\n\r\n"
        "juergen@contoso.com\r\n"
        "Remote Server returned '550 5.4.316 Message expired, connection refused(Socket error code 10061)'\r\n\r\n"
        "Original message headers:\r\n\r\n"
        "Received: from CH0PR12MB5000.namprd12.prod.outlook.com (2603:10b6:610:9b::12) by\r\n"
        " CH0PR12MB5001.namprd12.prod.outlook.com with HTTPS; Fri, 29 May 2026 08:00:01 +0000\r\n"
        "Message-ID: <ndr-original-1@contoso.onmicrosoft.com>\r\n"
        "Subject: Angebot\r\n"
    )
    write("ndr_utf8.txt", text, "utf-8")
    expected["ndr_utf8.txt"] = {"winsock-refused": 1}


def main() -> None:
    for make in (trace_detail, message_trace, extended, enhanced, summary, msgtrk, protocol_logs, ndr):
        make()
    (HERE / "expected.json").write_text(json.dumps(expected, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
