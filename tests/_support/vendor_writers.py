"""Writers of the founding-scenario ruleset in each vendor format: the 2015 EOP list allowed on
TCP 25 to the two mail server addresses, next to unrelated rules, as an admin would have it."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from _support.vendor import MAIL_V4, MAIL_V6
from hybridfw.addresses import AddressSet


def _asa_network(cidr: str) -> str:
    net = ipaddress.ip_network(cidr)
    if net.version == 6:
        return f" network-object {cidr}"
    if net.prefixlen == 32:
        return f" network-object host {net.network_address}"
    return f" network-object {net.network_address} {net.netmask}"


def asa(tmp: Path, allowed: AddressSet) -> Path:
    lines = [": Saved", ":", "ASA Version 9.18(2)", "!", "hostname edge-fw", "names",
             f"name {MAIL_V4} mailhost", "interface GigabitEthernet0/0", " nameif outside",
             " security-level 0", "!", "interface GigabitEthernet0/1", " nameif inside",
             " security-level 100", " ip address 192.168.10.1 255.255.255.0", "!",
             "route outside 0.0.0.0 0.0.0.0 198.51.100.1 1", "object network MAIL6", f" host {MAIL_V6}",
             "object-group network MAILSERVERS", " network-object host mailhost",
             " network-object object MAIL6", "object-group network EOP-2015",
             " description Exchange Online Protection, list of July 2015"]
    lines += [_asa_network(c) for c in allowed.to_cidrs()]
    lines += ["object-group service SMTP tcp", " port-object eq smtp",
              "access-list OUTSIDE_IN remark mail from Exchange Online",
              "access-list OUTSIDE_IN extended permit tcp object-group EOP-2015 object-group MAILSERVERS"
              " object-group SMTP log",
              "access-list OUTSIDE_IN extended permit tcp any host 203.0.113.20 eq https",
              "access-list OUTSIDE_IN extended deny ip any any log",
              "access-group OUTSIDE_IN in interface outside", ": end"]
    path = tmp / "asa-running-config.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def _xml_members(tag: str, names: list[str]) -> str:
    return f"<{tag}>" + "".join(f"<member>{n}</member>" for n in names) + f"</{tag}>"


def _panos_rule(name: str, src: list[str], dst: list[str], app: str, service: str) -> str:
    return (f'<entry name="{name}">' + _xml_members("from", ["untrust"]) + _xml_members("to", ["trust"])
            + _xml_members("source", src) + _xml_members("destination", dst)
            + _xml_members("application", [app]) + _xml_members("service", [service])
            + "<action>allow</action></entry>")


def panos_xml(tmp: Path, allowed: AddressSet) -> Path:
    cidrs = allowed.to_cidrs()
    addresses = "".join(f'<entry name="eop-{i}"><ip-netmask>{c}</ip-netmask></entry>'
                        for i, c in enumerate(cidrs))
    addresses += (f'<entry name="mail4"><ip-netmask>{MAIL_V4}/32</ip-netmask></entry>'
                  f'<entry name="mail6"><ip-netmask>{MAIL_V6}/128</ip-netmask></entry>')
    group = ('<entry name="EOP-2015"><static>'
             + "".join(f"<member>eop-{i}</member>" for i in range(len(cidrs))) + "</static></entry>")
    rules = (_panos_rule("EOP to mail", ["EOP-2015"], ["mail4", "mail6"], "smtp", "application-default")
             + _panos_rule("OWA", ["any"], ["203.0.113.20"], "ssl", "service-https"))
    text = f"""<?xml version="1.0"?>
<config version="10.2.0" urldb="paloaltonetworks">
  <mgt-config><users/></mgt-config>
  <devices>
    <entry name="localhost.localdomain">
      <deviceconfig><system><hostname>pa-edge</hostname></system></deviceconfig>
      <vsys>
        <entry name="vsys1">
          <zone><entry name="untrust"/><entry name="trust"/></zone>
          <address>{addresses}</address>
          <address-group>{group}</address-group>
          <rulebase><security><rules>{rules}</rules></security></rulebase>
        </entry>
      </vsys>
    </entry>
  </devices>
</config>
"""
    path = tmp / "running-config.xml"
    path.write_text(text.replace("><entry", ">\n<entry"))
    return path


def panos_set(tmp: Path, allowed: AddressSet) -> Path:
    cidrs = allowed.to_cidrs()
    lines = ["set deviceconfig system hostname pa-edge", "set zone untrust network layer3 ethernet1/1",
             "set zone trust network layer3 ethernet1/2"]
    lines += [f"set address eop-{i} ip-netmask {c}" for i, c in enumerate(cidrs)]
    lines += [f"set address mail4 ip-netmask {MAIL_V4}/32", f"set address mail6 ip-netmask {MAIL_V6}/128",
              "set address-group EOP-2015 static [ " + " ".join(f"eop-{i}" for i in range(len(cidrs))) + " ]",
              "set service smtp-25 protocol tcp port 25",
              'set rulebase security rules "EOP to mail" from untrust to trust source EOP-2015 '
              "destination [ mail4 mail6 ]",
              'set rulebase security rules "EOP to mail" application any service smtp-25 action allow',
              "set rulebase security rules OWA from untrust to trust source any destination 203.0.113.20",
              "set rulebase security rules OWA application ssl service service-https action allow",
              "move rulebase security rules OWA top"]
    path = tmp / "panos-set.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def pfsense(tmp: Path, allowed: AddressSet) -> Path:
    text = f"""<?xml version="1.0"?>
<pfsense>
  <version>23.3</version>
  <interfaces>
    <wan><enable/><if>igb0</if><ipaddr>dhcp</ipaddr></wan>
    <lan><enable/><if>igb1</if><ipaddr>192.168.1.1</ipaddr><subnet>24</subnet></lan>
  </interfaces>
  <aliases>
    <alias><name>EOP2015</name><type>network</type><address>{' '.join(allowed.to_cidrs())}</address></alias>
    <alias><name>MAILHOSTS</name><type>host</type><address>{MAIL_V4} {MAIL_V6}</address></alias>
    <alias><name>SMTP</name><type>port</type><address>25</address></alias>
  </aliases>
  <filter>
    <rule>
      <type>pass</type><interface>wan</interface><ipprotocol>inet46</ipprotocol><protocol>tcp</protocol>
      <source><address>EOP2015</address></source>
      <destination><address>MAILHOSTS</address><port>SMTP</port></destination>
      <descr>Exchange Online to mail</descr>
    </rule>
    <rule>
      <type>pass</type><interface>wan</interface><ipprotocol>inet</ipprotocol><protocol>tcp</protocol>
      <source><any/></source><destination><address>203.0.113.20</address><port>443</port></destination>
      <descr>OWA</descr>
    </rule>
  </filter>
</pfsense>
"""
    path = tmp / "config.xml"
    path.write_text(text)
    return path


WRITERS = {"asa": asa, "panos": panos_xml, "panos-set": panos_set, "pfsense": pfsense}

# The edge formats of issue 17 (FortiGate, SRX, Windows Firewall) write theirs in edge_writers.
from _support.edge_writers import WRITERS as _EDGE_WRITERS  # noqa: E402

WRITERS.update(_EDGE_WRITERS)
