# ruff: noqa: E501
"""Writes the export files of the regression corpus (tests/data/trace/corpus/), each in the
encoding its tool writes: Windows PowerShell 5.1 Export-Csv -Encoding Unicode (UTF-16 LE, BOM,
#TYPE line), PowerShell 7 Export-Csv (UTF-8, no #TYPE), ConvertTo-Json (PS 5.1 /Date()/ dates,
one object or an array; Out-File = UTF-16 LE), OData verbose and light JSON, NDJSON, Graph pages,
CONNECTLOG. Run once; the files are committed and labelled by hand in corpus/labels.toml."""

from __future__ import annotations

import codecs
import csv
import io
import json
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"
TRACKING = ["Timestamp", "ClientIp", "ClientHostname", "ServerIp", "ServerHostname", "SourceContext", "ConnectorId",
            "Source", "EventId", "InternalMessageId", "MessageId", "NetworkMessageId", "Recipients",
            "RecipientStatus", "TotalBytes", "RecipientCount", "RelatedRecipientAddress", "Reference",
            "MessageSubject", "Sender", "ReturnPath", "Directionality", "TenantId", "OriginalClientIp",
            "MessageInfo", "MessageLatency", "MessageLatencyType", "EventData", "TransportTrafficType",
            "SchemaVersion", "RunspaceId"]
TIMEOUT = ('550 4.4.7 QUEUE.Expired; message expired -> 451 4.4.0 Primary target IP address responded with: '
           '"421 4.4.1 Connection timed out." Attempted failover to alternate host, but that did not succeed. '
           'Either there are no alternate hosts, or delivery failed to all alternate hosts. The last endpoint '
           'attempted was 52.101.68.3:25')


def tracking_rows(multi: str) -> list[dict[str, str]]:
    base = {k: "" for k in TRACKING}
    rows = []
    for i, (event, status, rcpt) in enumerate([
            ("RECEIVE", "System.String[]" if multi == "lost" else "", "olga@contoso.com"),
            ("FAIL", TIMEOUT, "olga@contoso.com"),
            ("DEFER", "System.String[]" if multi == "lost" else "550 5.7.64 TenantAttribution; Relay Access Denied",
             "System.String[]" if multi == "lost" else "nina@contoso.com;olaf@contoso.com"),
            ("DELIVER", "250 2.1.5 Recipient OK", "nina@contoso.com")]):
        row = dict(base, Timestamp=f"1/25/2024 3:1{i}:40 PM", ClientIp="10.0.0.7", ClientHostname="EX01.contoso.local",
                   ServerIp="10.0.0.5", ServerHostname="EX01", ConnectorId="Outbound to Office 365", Source="SMTP",
                   EventId=event, InternalMessageId=str(1000 + i), MessageId=f"<m{i}@contoso.com>",
                   Recipients=rcpt, RecipientStatus=status, TotalBytes="5120", RecipientCount="1",
                   Sender="nina@contoso.com", Directionality="Originating", SchemaVersion="15.02.1544.004",
                   RunspaceId="3b1c7c1e-1111-4a2b-9c3d-7e6f5a4b3c2d")
        rows.append(row)
    return rows


def csv_text(rows: list[dict[str, str]], type_line: str) -> str:
    out = io.StringIO()
    if type_line:
        out.write(f"#TYPE {type_line}\r\n")
    writer = csv.DictWriter(out, TRACKING, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def trace(i: int, status: str) -> dict[str, object]:
    return {"PSComputerName": "outlook.office365.com", "RunspaceId": "0f0e0d0c-0000-4000-8000-000000000001",
            "PSShowComputerName": False, "Organization": "contoso.onmicrosoft.com",
            "MessageId": f"<x{i}@contoso.com>", "Received": f"/Date({1706195680508 + i * 60000})/",
            "SenderAddress": "nina@fabrikam.com", "RecipientAddress": f"olga{i}@contoso.com",
            "Subject": "Angebot", "Status": status, "ToIP": None, "FromIP": "40.107.22.36", "Size": 5120,
            "MessageTraceId": f"c20e0f7a-f06b-41df-fe33-08d9da155a{i:02d}", "StartDate": "/Date(1706140800000)/",
            "EndDate": "/Date(1706227200000)/", "Index": i}


def main() -> None:
    CORPUS.joinpath("tracking-export-utf16.csv").write_bytes(
        codecs.BOM_UTF16_LE + csv_text(tracking_rows("lost"), "Deserialized.Microsoft.Exchange.Management."
                                       "TransportLogSearchTasks.MessageTrackingEvent").encode("utf-16-le"))
    CORPUS.joinpath("tracking-export-utf8.csv").write_bytes(
        codecs.BOM_UTF8 + csv_text(tracking_rows("joined"), "").encode("utf-8"))
    # PowerShell 5.1 ConvertTo-Json escapes the slashes of /Date()/.
    array = json.dumps([trace(1, "Delivered"), trace(2, "Failed"), trace(3, "Pending")], indent=4)
    CORPUS.joinpath("message-trace-ps51.json").write_text(array.replace("/Date(", "\\/Date(").replace(")/", ")\\/"),
                                                          encoding="utf-8")
    single = json.dumps(trace(4, "Failed"), indent=4).replace("/Date(", "\\/Date(").replace(")/", ")\\/")
    CORPUS.joinpath("message-trace-single-utf16.json").write_bytes(codecs.BOM_UTF16_LE + single.encode("utf-16-le"))
    verbose = {"d": {"results": [dict(trace(5, "Failed"), __metadata={"type": "TenantReporting.MessageTrace"}),
                                 dict(trace(6, "Delivered"), __metadata={"type": "TenantReporting.MessageTrace"})]}}
    CORPUS.joinpath("reporting-odata-verbose.json").write_text(json.dumps(verbose), encoding="utf-8")
    light = {"odata.metadata": "https://reports.office365.com/ecp/ReportingWebService/Reporting.svc/$metadata#MessageTrace",
             "value": [trace(7, "Delivered"), trace(8, "Failed")]}
    CORPUS.joinpath("reporting-odata-value.json").write_text(json.dumps(light), encoding="utf-8")
    iso = [dict(trace(i, s), Received=f"2024-01-25T15:1{i}:40.5080000Z") for i, s in ((9, "Failed"), (10, "Delivered"))]
    CORPUS.joinpath("siem-message-trace.ndjson").write_text("".join(json.dumps(r) + "\n" for r in iso), encoding="utf-8")
    detail = [{"Organization": "contoso.onmicrosoft.com", "MessageId": "<x11@fabrikam.com>", "Date": "/Date(1706195680508)/",
               "Event": "Receive", "Action": None, "Detail": "Message received by: AM6PR05MB1234.eurprd05.prod.outlook.com",
               "Data": "<root></root>", "MessageTraceId": "c20e0f7a-f06b-41df-fe33-08d9da155a11"},
              {"Organization": "contoso.onmicrosoft.com", "MessageId": "<x11@fabrikam.com>", "Date": "/Date(1706195740508)/",
               "Event": "Defer", "Action": None,
               "Detail": "The message was deferred. 450 4.4.316 Connection refused [Message=Socket error code 10061] "
                         "[LastAttemptedServerName=mail.contoso.com] [LastAttemptedIP=203.0.113.25:25]",
               "Data": "<root></root>", "MessageTraceId": "c20e0f7a-f06b-41df-fe33-08d9da155a11"}]
    CORPUS.joinpath("trace-detail-v2.json").write_text(json.dumps(detail, indent=2), encoding="utf-8")
    graph = {"@odata.context": "https://graph.microsoft.com/beta/$metadata#admin/exchange/tracing/messageTraces",
             "@odata.nextLink": "https://graph.microsoft.com/beta/admin/exchange/tracing/messageTraces?$skiptoken=RFNwdAIAAQAAAA",
             "value": [{"id": "4c9b3f2a-0000-4000-8000-000000000012", "messageId": "<x12@fabrikam.com>",
                        "receivedDateTime": "2024-01-25T15:20:40Z", "senderAddress": "nina@fabrikam.com",
                        "recipientAddress": "olga@contoso.com", "status": "failed", "subject": "Angebot", "size": 5120,
                        "fromIP": "40.107.22.36", "toIP": ""},
                       {"id": "4c9b3f2a-0000-4000-8000-000000000013", "messageId": "<x13@fabrikam.com>",
                        "receivedDateTime": "2024-01-25T15:21:40Z", "senderAddress": "nina@fabrikam.com",
                        "recipientAddress": "olaf@contoso.com", "status": "delivered", "subject": "Angebot",
                        "size": 5120, "fromIP": "40.107.22.36", "toIP": ""}]}
    CORPUS.joinpath("graph-message-trace-page1.json").write_text(json.dumps(graph, indent=2), encoding="utf-8")
    connect = ["#Software: Microsoft Exchange Server", "#Version: 15.0.0.0", "#Log-Type: Transport Connectivity Log",
               "#Date: 2024-01-25T15:00:00.000Z", "#Fields: date-time,session,source,destination,direction,description",
               "2024-01-25T15:14:19.401Z,08DC1DB8591B2301,SMTP,contoso.mail.onmicrosoft.com,+,Outbound to Office 365 5f2b1c3d-8e4a-4b6c-9d0e-1f2a3b4c5d6e;QueueLength=TQ=3;RM=0;",
               "2024-01-25T15:14:19.420Z,08DC1DB8591B2301,SMTP,contoso.mail.onmicrosoft.com,>,DNS resolved to contoso-mail-onmicrosoft-com.mail.protection.outlook.com[52.101.68.3]",
               "2024-01-25T15:14:40.508Z,08DC1DB8591B2301,SMTP,contoso.mail.onmicrosoft.com,>,Failed connection to 52.101.68.3:25 (ConnectionRefused)",
               "2024-01-25T15:14:40.600Z,08DC1DB8591B2301,SMTP,contoso.mail.onmicrosoft.com,-,Messages: 0 Bytes: 0 (Retry : Failed to connect to 52.101.68.3:25)",
               "2024-01-25T15:15:00.000Z,08DC1DB8591B2302,SMTP,contoso.mail.onmicrosoft.com,+,Outbound to Office 365 5f2b1c3d-8e4a-4b6c-9d0e-1f2a3b4c5d6e;QueueLength=TQ=3;RM=0;",
               "2024-01-25T15:15:00.900Z,08DC1DB8591B2302,SMTP,contoso.mail.onmicrosoft.com,>,Established connection to 52.101.68.4",
               "2024-01-25T15:15:01.900Z,08DC1DB8591B2302,SMTP,contoso.mail.onmicrosoft.com,-,Messages: 3 Bytes: 15360"]
    CORPUS.joinpath("CONNECTLOG20240125-1.LOG").write_text("\r\n".join(connect) + "\r\n", encoding="utf-8")


if __name__ == "__main__":
    main()
