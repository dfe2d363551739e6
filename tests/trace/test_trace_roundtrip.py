"""Property: whatever the encoding, separator, quoting and row mix, every failure row lands on
its label."""

from __future__ import annotations

import codecs
import csv
import io
import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _support.trace import ALL_CASES
from hybridfw.trace import diagnose_files

ENCODINGS = {  # how producers write the bytes
    "ascii-type": lambda text: text.encode("ascii", "replace"),
    "utf-8": lambda text: text.encode("utf-8"),
    "utf-8-bom": lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
    "utf-16-le-bom": lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
}
noise = st.text(alphabet=st.sampled_from('ab ,"\n\r;é#'), max_size=30)
rows = st.lists(st.tuples(st.one_of(st.none(), st.sampled_from(ALL_CASES)), noise), min_size=1, max_size=40)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=rows, encoding=st.sampled_from(sorted(ENCODINGS)), type_line=st.booleans(),
       line_end=st.sampled_from(["\r\n", "\n"]), delimiter=st.sampled_from([",", ";", "\t"]))
def test_detail_export_roundtrip(rows: list[tuple[tuple[str, str] | None, str]], encoding: str,
                                 type_line: bool, line_end: str, delimiter: str) -> None:
    buf = io.StringIO()
    if type_line:
        buf.write(f"#TYPE Deserialized.Microsoft.Exchange.Management.FfoReporting.X{line_end}")
    writer = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator=line_end, delimiter=delimiter)
    writer.writerow(["Date", "Event", "Action", "Detail", "Data", "RecipientAddress"])
    expected: Counter[str] = Counter()
    for index, (case, data) in enumerate(rows):
        when = f"5/29/2026 9:{index % 60:02d}:00 AM"
        if case is None:  # a row that is not a failure, with awkward text in it
            writer.writerow([when, "Receive", "", data, data, "a@contoso.com"])
            continue
        text, label = case
        writer.writerow([when, "Defer", "Defer", text, data, "a@contoso.com"])
        expected[label] += 1
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "detail.csv"
        path.write_bytes(ENCODINGS[encoding](buf.getvalue()))
        report = diagnose_files([path])
    assert report.files[0].rows == len(rows)
    assert {c.entry.id: c.count for c in report.causes} == dict(expected)
