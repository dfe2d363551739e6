# ruff: noqa: E501
"""Error texts as Exchange writes them, each labelled with the catalog entry that explains it.

The labels are the test oracle: written by hand from the reference (exchange-hybrid-facts.md
§2.2 and §3), not computed by hybridfw. Addresses are documentation ranges or EOP's own.
"""

FOUNDING = (
    "450 4.4.101 Proxy session setup failed on Frontend with '441 4.4.1 Error encountered while "
    "communicating with primary target IP address: \"Failed to connect. Winsock error code: 10061, "
    "Win32 error code: 10061.\" Attempted failover to alternate host, but that did not succeed. "
    "Either there are no alternate hosts, or delivery failed to all alternate hosts.'"
)
TARGET = "203.0.113.25"
HOST = "mail.contoso.com"

# Exchange Online side (message trace detail, extended report, NDRs): EXO -> on-premises.
EXO_CASES: dict[str, str] = {
    "founding": FOUNDING,
    "refused-socket": f"450 4.4.316 Connection refused [Message=Socket error code 10061] "
                      f"[LastAttemptedServerName={HOST}] [LastAttemptedIP={TARGET}:25]",
    "connection-refused": f"450 4.4.316 Connection refused [LastAttemptedServerName={HOST}] "
                          f"[LastAttemptedIP={TARGET}:25]",
    "expired-connection-refused": "550 5.4.316 Message expired, connection refused",
    "connection-timed-out": f"450 4.4.315 Connection timed out [LastAttemptedServerName={HOST}] "
                            f"[LastAttemptedIP={TARGET}:25]",
    "expired-connection-timed-out": "550 5.4.315 Message expired, connection timed out",
    "closed-abruptly": f"450 4.4.318 Connection was closed abruptly [LastAttemptedIP={TARGET}:25]",
    "cannot-connect": f"450 4.4.317 Cannot connect to remote server [Message=421 Service not available] "
                      f"[LastAttemptedServerName={HOST}] [LastAttemptedIP={TARGET}:25]",
    "subject-mismatch": f"450 4.4.317 Cannot connect to remote server [Message=SubjectMismatch Expected "
                        f"Subject: *.contoso.com. Presented Subject: CN=ExchangeServer01. Thumbprint: "
                        f"3B7E4F1C0A9D2B6E8F7A5C4D3E2F1A0B9C8D7E6F] [LastAttemptedServerName={HOST}] "
                        f"[LastAttemptedIP={TARGET}:25] [SmtpSecurity=-1;-1]",
    "starttls-required": "450 4.4.101 Proxy session setup failed on Frontend with '451 4.4.0 Primary "
                         "target IP address responded with: \"451 5.7.3 STARTTLS is required to send "
                         "mail.\" Attempted failover to alternate host, but that did not succeed. Either "
                         "there are no alternate hosts, or delivery failed to all alternate hosts.'",
    "tls-socket-error": f"450 4.4.317 Cannot connect to remote server [Message=451 4.4.0 TLS negotiation "
                        f"failed with error SocketError] [LastAttemptedServerName={HOST}] "
                        f"[LastAttemptedIP={TARGET}:25] [SmtpSecurity=-2;-2]",
    "certificate-validation-failed": "450 4.7.320 Certificate validation failed",
    "dns-query-failed": f"Reason: [{{LED=450 4.4.312 DNS query failed}};{{MSG=}};{{FQDN={HOST}}};"
                        f"{{IP=}};{{LRT=5/29/2026 9:58:12 AM}}]",
    "expired-dns-query-failed": "550 5.4.312 Message expired, DNS query failed",
    "domain-does-not-exist": "550 5.4.310 DNS domain contoso.invalid does not exist "
                             "[Message=InfoDomainNonexistent] [LastAttemptedServerName=contoso.invalid]",
    "proxy-session-failed": "450 4.4.101 Proxy session setup failed on Frontend with '421 Service not available'",
    "proxy-session-failed-470": f"450 4.7.0 Proxy session setup failed on Frontend with 'Connection lost'. "
                                f"OutboundProxyTargetIP: {TARGET}. OutboundProxyTargetHostName: {HOST}",
    "message-delayed": "400 4.4.7 Message delayed",
    "queue-expired": "550 4.4.7 QUEUE.Expired; message expired",
    "dbeb-recipient-rejected": "550 5.4.1 Recipient address rejected: Access denied. AS(201806281)",
    "hop-count-exceeded-exo": "554 5.4.14 Hop count exceeded - possible mail loop ATTR34",
    "wrong-region": "451 4.4.62 Mail sent to the wrong Office 365 region. ATTR35",
    "subject-mismatch-4-7-320": f"450 4.7.320 Certificate validation failed [Message=SubjectMismatch Expected "
                                f"Subject: *.contoso.com. Presented Subject: CN=EX01.contoso.local] "
                                f"[LastAttemptedServerName={HOST}] [LastAttemptedIP={TARGET}:25]",
    "recipient-thread-limit": "432 4.3.2 STOREDRV.Deliver; recipient thread limit exceeded",
    "tenant-allow-block-list": "550 5.7.703 Your message can't be delivered because messages to "
                               "nina@fabrikam.com are blocked by your organization using Tenant Allow Block List.",
}
# The catalog entry each EXO case is diagnosed as (innermost cause).
EXO_EXPECTED = {name: name for name in EXO_CASES} | {
    "founding": "winsock-refused", "refused-socket": "winsock-refused",
    "subject-mismatch-4-7-320": "subject-mismatch",
}

# On-premises side (MSGTRK FAIL/DEFER recipient-status): on-premises -> Exchange Online.
ONPREM_CASES: dict[str, str] = {
    "onprem-target-error": "451 4.4.397 Error communicating with target host.",
    "unable-to-connect": "451 4.4.397 Error communicating with target host. -> 421 4.2.1 Unable to connect",
    "winsock-timeout": "451 4.4.397 Error communicating with target host. -> 421 4.2.1 Unable to connect "
                       "-> SocketTimedout: Socket error code 10060",
    "next-hop-timeout": "451 4.4.0 Primary target IP address responded with: \"421 4.4.1 Connection timed "
                        "out.\" Attempted failover to alternate host, but that did not succeed. Either there "
                        "are no alternate hosts, or delivery failed to all alternate hosts. The last endpoint "
                        "attempted was 40.107.22.36:25",
    "failed-to-connect": "441 4.4.1 Error encountered while communicating with primary target IP address: "
                         "\"Failed to connect.\" Attempted failover to alternate host, but that did not succeed.",
    "winsock-unreachable": "441 4.4.1 Error encountered while communicating with primary target IP address: "
                           "\"Failed to connect. Winsock error code: 10051, Win32 error code: 10051.\" "
                           "Last endpoint attempted was 40.107.22.36:25",
    "winsock-reset": "441 4.4.1 Error encountered while communicating with primary target IP address: "
                     "\"Failed to connect. Winsock error code: 10054, Win32 error code: 10054.\"",
    "winsock-host-not-found": "441 4.4.1 Error encountered while communicating with primary target IP "
                              "address: \"Failed to connect. Winsock error code: 11001, Win32 error code: 11001.\"",
    "primary-target-responded": "451 4.4.0 Primary target IP address responded with: \"421 Service not "
                                "available.\" Attempted failover to alternate host, but that did not succeed.",
    "must-issue-starttls": "451 4.4.0 Primary target IP address responded with: \"451 5.7.3 Must issue a "
                           "STARTTLS command first.\" Attempted failover to alternate host, but that did not succeed.",
    "temporary-auth-failure": "451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary "
                              "authentication failure.\" Attempted failover to alternate host, but that did not succeed.",
    "tenant-attribution": "550 5.7.64 TenantAttribution; Relay Access Denied",
    "tenant-inbound-attribution": "550 5.7.51 TenantInboundAttribution; There is a partner connector "
                                  "configured that matched the message's recipient domain. The connector had "
                                  "either the RestrictDomainsToIPAddresses or RestrictDomainsToCertificate set",
    "direct-send-blocked": "550 5.7.68 TenantInboundAttribution; Direct Send not allowed for this "
                           "organization from unauthorized sources",
    "unregistered-domains": "550 5.7.750 Service unavailable. Client blocked from sending from unregistered domains",
    "temporary-server-error": "451 4.4.3 Temporary server error. Please try again later ATTR3.4",
    "ip-graylisted": "451 4.7.500 Server busy. Please try again later from [198.51.100.7]. (AS761)",
    "ip-suspicious": "451 4.7.850 Access denied, please try again later",
    "tenant-blocked": "550 5.7.708 Access denied, traffic not accepted from this IP",
    "spf-violation": "550 5.7.23 The message was rejected because of Sender Policy Framework violation",
    "ipv6-ptr-required": "550 5.7.25 Service unavailable, sending IPv6 address [2001:db8::25] must have "
                         "a reverse DNS record",
    "ipv6-spf-dkim-required": "450 4.7.26 Service unavailable, message sent over IPv6 [2001:db8::25] must "
                              "pass either SPF or DKIM validation",
    "relay-access-denied": "550 5.4.1 Relay Access Denied",
    "unable-to-relay": "550 5.7.1 Unable to relay",
    "anonymous-mail-from": "530 5.7.57 Client not authenticated to send mail",
    "hop-count-exceeded": "554 5.4.6 Hop count exceeded - possible mail loop",
    "recipient-not-found": "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
    "recipient-unknown": "550 5.1.1 RESOLVER.ADR.ExRecipNotFound; not found",
    "auth-required-recipient": "550 5.7.1 RESOLVER.RST.AuthRequired; authentication required",
    "message-expired": "550 5.4.300 Message expired",
    "back-pressure": "452 4.3.1 Insufficient system resources",
    "service-not-available": "421 4.3.2 Service not available, closing transmission channel",
    "concurrent-connection-limit": "421 4.3.2 The maximum number of concurrent server connections has "
                                   "exceeded a limit, closing transmission channel",
    "banned-sending-ip": "550 5.7.606 Access denied, banned sending IP [203.0.113.25]",
    "connection-failed": "Failed connection to 52.101.68.3:25",
    "onprem-dns-query-failed": "451 4.4.0 DNS query failed. The error was: DNS query failed with error ErrorRetry",
    "send-connector-cert-not-found": "454 4.7.5 The certificate specified in TlsCertificateName of the "
                                     "SendConnector could not be found.",
}
ONPREM_EXPECTED = {name: name for name in ONPREM_CASES}

# Protocol-log lines (data column) -> entry.
PROTOCOL_CASES: dict[str, str] = {
    "tls-unknown-credentials": "TLS negotiation failed with error UnknownCredentials",
    "tls-no-credentials": "TLS negotiation failed with error NoCredentials",
    "untrusted-chain": "Certificate chain validation failed with 800B0109: terminated in a root "
                       "certificate which is not trusted",
    "anonymous-not-allowed": "530 5.7.1 Client was not authenticated",
}
