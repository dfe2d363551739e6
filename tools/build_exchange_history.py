"""Regenerate src/hybridfw/data/exchange-history.json from the Microsoft 365 endpoint files.

The packaged history lets `hybridfw drops` name a range Microsoft used to list for Exchange
Online / EOP but no longer does ("retired"), offline and on a fresh install. It keeps, for every
version found, only the Exchange sets (JSON answers: serviceArea "Exchange") or the EXO and EOP
products (the pre-2018 XML feed), with their ports and address ranges, and records the source
file and its SHA-256 so the data can be checked against its origin.

Usage: python tools/build_exchange_history.py [M365_DATA_DIR] [OUTPUT]
(defaults: ../shared/data/m365 next to the repository, src/hybridfw/data/exchange-history.json)
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
XML_PRODUCTS = ("EXO", "EOP")
_FETCHED = re.compile(r"(\d{4}-\d{2}-\d{2})")


def _json_version(path: Path, raw: bytes) -> dict[str, Any]:
    sets = []
    for item in json.loads(raw):
        if item.get("serviceArea") != "Exchange" or not item.get("ips"):
            continue
        sets.append({"id": item["id"], "name": f"Exchange set {item['id']}",
                     "tcpPorts": item.get("tcpPorts", ""), "ips": item["ips"]})
    found = _FETCHED.search(path.name)
    if found is None:
        raise SystemExit(f"{path.name}: no date in the file name")
    return {"label": f"{found[1]} ({path.name})", "date": found[1], "sets": sets}


def _xml_version(path: Path, raw: bytes) -> dict[str, Any]:
    root = ET.fromstring(raw)
    month, day, year = (int(p) for p in root.attrib["updated"].split("/"))
    sets = []
    for product in root.iter("product"):
        name = product.get("name", "")
        if name not in XML_PRODUCTS:
            continue
        ips = [a.text.strip() for lst in product.iter("addresslist") if lst.get("type") in ("IPv4", "IPv6")
               for a in lst.iter("address") if a.text and a.text.strip()]
        # The XML feed lists ranges per product, without ports: EOP is the mail-routing product.
        ports = "25" if name == "EOP" else ""
        sets.append({"id": None, "name": f"XML product {name}", "tcpPorts": ports, "ips": ips})
    when = date(year, month, day).isoformat()
    return {"label": f"{when} (O365IPAddresses.xml, {path.name})", "date": when, "sets": sets}


def build(source_dir: Path) -> dict[str, Any]:
    versions = []
    for path in sorted(source_dir.iterdir()):
        if path.suffix not in (".json", ".xml") or not path.name.startswith(("worldwide", "o365ip")):
            continue
        raw = path.read_bytes()
        version = _json_version(path, raw) if path.suffix == ".json" else _xml_version(path, raw)
        if not version["sets"]:
            continue  # e.g. the MEM-only answer carries no Exchange set
        version["source_file"] = path.name
        version["sha256"] = hashlib.sha256(raw).hexdigest()
        versions.append(version)
    versions.sort(key=lambda v: (v["date"], v["source_file"]))
    return {"about": "Exchange Online / EOP address sets of past endpoint-data versions, oldest first; "
                     "built by tools/build_exchange_history.py from the files named in source_file.",
            "versions": versions}


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO.parent.parent / "shared" / "data" / "m365"
    if not source.is_dir():
        source = Path("/work/shared/data/m365")
    output = Path(sys.argv[2]) if len(sys.argv) > 2 else REPO / "src/hybridfw/data/exchange-history.json"
    text = json.dumps(build(source), indent=1, sort_keys=True) + "\n"
    tmp = output.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(output)
    print(f"wrote {output} ({len(text)} bytes)")


if __name__ == "__main__":
    main()
