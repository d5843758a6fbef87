#!/usr/bin/env python3
"""Checks that an independent Delta reader (delta-rs, PyPI package `deltalake`) reads Lamina's tables.

Not part of `npm test` (it needs Python packages nothing installs). Run from the repo root:
    python3 -m venv /tmp/delta-venv && /tmp/delta-venv/bin/pip install deltalake pyarrow
    /tmp/delta-venv/bin/python shared/test/interop/read_with_deltalake.py
Exits non-zero on the first mismatch.
"""
import datetime as dt
import json
import os
import sys
import tempfile

import pyarrow as pa
from deltalake import DeltaTable

from interop_common import REPO, check, tsx


def main():
    folder = tempfile.mkdtemp(prefix="lamina-interop-")
    expected = tsx("write-sample-table.ts", folder)

    plain = DeltaTable(os.path.join(folder, "plain"))
    check(plain.version() == 3, "plain: latest version is 3")
    types = {f.name: str(f.type) for f in plain.schema().fields}
    check(types == {
        "s": 'PrimitiveType("string")', "l": 'PrimitiveType("long")', "i": 'PrimitiveType("integer")',
        "sh": 'PrimitiveType("short")', "b": 'PrimitiveType("byte")', "f": 'PrimitiveType("float")',
        "d": 'PrimitiveType("double")', "ok": 'PrimitiveType("boolean")', "bin": 'PrimitiveType("binary")',
        "dt": 'PrimitiveType("date")', "ts": 'PrimitiveType("timestamp")',
    }, f"plain: Delta types {types}")

    t = plain.to_pyarrow_table()
    check(t.num_rows == 3, "plain: overwrite left 3 rows")
    rows = sorted(t.to_pylist(), key=lambda r: (r["s"] is None, r["s"] or ""))
    first = rows[0]
    check(first["s"] == "row-1000" and first["l"] == 1000 and first["i"] == 1000, f"plain: values {first['s']}, {first['l']}, {first['i']}")
    check(first["ts"] == dt.datetime(2023, 11, 14, 22, 13, 21, 123456, tzinfo=dt.timezone.utc), f"plain: microsecond UTC timestamp {first['ts']!r}")
    check(first["dt"] == dt.date(2024, 2, 29) and first["bin"] == b"\x00\xff" and first["f"] == 1.5, "plain: date, binary, float")
    check(rows[1]["s"] == "é \U0001f600" and rows[1]["ts"] == dt.datetime(1969, 12, 31, 23, 59, 59, 998500, tzinfo=dt.timezone.utc), "plain: unicode and negative timestamp")
    check(any(r["l"] == 9007199254740993 for r in rows), "plain: long beyond 2^53 exact")

    for version, n in expected["plain"]["rowsPerVersion"].items():
        old = DeltaTable(os.path.join(folder, "plain"), version=int(version))
        check(old.to_pyarrow_table().num_rows == n, f"plain: time travel to version {version} has {n} rows")

    history = [h["operation"] for h in plain.history()]
    check(history[-1] == "CREATE TABLE" and history[0] == "WRITE", f"plain: history {history}")

    actions = pa.table(plain.get_add_actions(flatten=True)).to_pylist()
    check(len(actions) == 1 and actions[0]["num_records"] == 3, "plain: add action stats numRecords")
    a = actions[0]
    check(a["min.i"] == -2147483648 and a["max.i"] == 1000 and a["null_count.i"] == 1, "plain: integer min/max/nullCount stats parsed")
    check(str(a["min.dt"]) == "1969-12-31" and str(a["max.dt"]) == "2024-02-29", f"plain: date stats {a['min.dt']} {a['max.dt']}")
    print(f"   (timestamp stats as delta-rs parsed them: min {a['min.ts']!r}, max {a['max.ts']!r})")

    # Timestamp stats are truncated to milliseconds (as the protocol says); a filter on the exact
    # microsecond maximum must still find its row, i.e. the reader must not skip the file.
    exact = dt.datetime(2023, 11, 14, 22, 13, 21, 123456, tzinfo=dt.timezone.utc)
    hit = plain.to_pyarrow_table(filters=[("ts", "=", pa.scalar(exact, type=pa.timestamp("us", tz="UTC")))])
    check(hit.num_rows == 1, f"plain: filter on the exact microsecond max finds its row ({hit.num_rows})")
    check(plain.to_pyarrow_table(filters=[("i", ">", 5000)]).num_rows == 0, "plain: filter beyond max finds nothing")

    if hasattr(plain, "transaction_version"):
        check(plain.transaction_version("events/0") == 20, "plain: txn version for events/0 is 20")

    parted = DeltaTable(os.path.join(folder, "parted"))
    check(parted.metadata().partition_columns == ["kind", "day"], "parted: partition columns")
    pt = parted.to_pyarrow_table()
    prow = sorted(pt.to_pylist(), key=lambda r: r["n"])
    check([r["n"] for r in prow] == [1, 2, 3, 4], "parted: all rows")
    check([r["kind"] for r in prow] == ["click", "click", "a/b=c%d é", None], f"parted: partition values {[r['kind'] for r in prow]}")
    check([str(r["day"]) for r in prow] == ["2024-01-02", "2024-01-02", "2024-01-03", "2024-01-04"], "parted: date partition values")
    filtered = parted.to_pyarrow_table(filters=[("kind", "=", "click")])
    check(filtered.num_rows == 2, "parted: partition pruning by kind")

    print("all interop checks passed")


if __name__ == "__main__":
    main()
    # As in describe_tables.py: skip the interpreter teardown, where deltalake's runtime can abort.
    sys.stdout.flush()
    os._exit(0)
