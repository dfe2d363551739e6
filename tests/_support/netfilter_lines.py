"""Generated netfilter LOG lines for the drops fast-path tests (hypothesis strategies).

Every envelope the netfilter parser knows, IPv4 and IPv6, outbound, no-port protocols, and damage:
cut lines, control / non-ASCII / CR noise, garbage, blank lines, CR and CR LF line ends.
"""

from __future__ import annotations

from hypothesis import strategies as st

SOURCES = ("40.107.3.4", "52.100.7.3", "40.95.90.67", "65.55.88.10", "198.51.100.7", "104.47.20.5",
           "2a01:0111:f403:c000:0000:0000:0000:0001", "2001:0db8:0077:0000:0000:0000:0000:0009",
           "999.1.1.1", "1.2.3", "::")
TARGETS = ("203.0.113.10", "203.0.113.20", "2001:0db8:0000:0000:0000:0000:0000:0010", "198.18.0.9",
           "40.92.5.6")
NOISE = ("\x1c", "\x0b", "\xa0", "é", "\u2028", "=", " ", "\t", "\x00", "]", "\r")


@st.composite
def packet(draw: st.DrawFn) -> str:
    src, dst = draw(st.sampled_from(SOURCES)), draw(st.sampled_from(TARGETS))
    if draw(st.booleans()):
        src, dst = dst, src  # outbound
    inout = draw(st.sampled_from(("IN=eth0 OUT=", "IN= OUT=eth0", "IN=eth0 OUT=eth1", "IN= OUT=")))
    mac = draw(st.sampled_from(("", "MAC=00:16:3e:01:02:03:00:16:3e:0a:0b:0c:08:00 ", "MAC= ")))
    proto = draw(st.sampled_from(("TCP", "UDP", "ICMP", "tcp", "SCTP")))
    port = draw(st.sampled_from(("25", "443", "587", "22", "025", "")))
    ports = f" SPT=40001 DPT={port}" if port else ""
    return (f"{inout} {mac}SRC={src} DST={dst} LEN=60 TOS=0x00 TTL=52 ID=7 DF PROTO={proto}{ports}"
            " WINDOW=64240 RES=0x00 SYN URGP=0")


@st.composite
def log_line(draw: st.DrawFn) -> str:
    day, second = draw(st.integers(1, 31)), draw(st.integers(0, 86_399))
    hms = f"{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"
    when = draw(st.sampled_from((f"Dec {day:2d} {hms}", f"Nov {day:2d} {hms}", f"2026-12-01T{hms}+0000",
                                 f"2026-11-30T{hms}.123456+01:00")))
    prefix = draw(st.sampled_from(("HFW-DROP ", "nft in drop: ", "", "  spaced  ", "a=b ")))
    uptime = draw(st.sampled_from(("", "[812345.678901] ", "[    5.000001] ")))
    body = draw(packet())
    shape = draw(st.sampled_from(("syslog", "syslog", "syslog", "ulogd", "dmesg", "dmesg-T", "kmsg")))
    line = {"syslog": f"{when} gw kernel: {uptime}{prefix}{body}", "ulogd": f"{when} gw {prefix}{body}",
            "dmesg": f"{uptime}{prefix}{body}", "dmesg-T": f"[Tue Dec  1 {hms} 2026] {prefix}{body}",
            "kmsg": f"4,1234,1501005513,-;{prefix}{body}"}[shape]
    damage = draw(st.sampled_from(("none",) * 6 + ("cut", "noise", "garbage", "blank")))
    if damage == "cut":
        line = line[:draw(st.integers(0, len(line)))]
    elif damage == "noise":
        at = draw(st.integers(0, len(line)))
        line = line[:at] + draw(st.sampled_from(NOISE)) + line[at:]
    elif damage == "garbage":
        line = draw(st.text(st.characters(codec="utf-8", exclude_characters="\n"), max_size=40))
    elif damage == "blank":
        line = ""
    return line + draw(st.sampled_from(("\n",) * 8 + ("\r\n", "\r")))
