#!/usr/bin/env python3
"""Checkpoint interop between Lamina and delta-rs (PyPI package `deltalake`), both directions.

1. Lamina writes a table with checkpoints (10 and 20, JSON commits 21..25 after them); delta-rs reads
   it, time-travels, finds the txn versions, and, once the JSON commits before 20 are deleted, still
   reads it (so it used Lamina's checkpoint) and sees Lamina's remove tombstones when vacuuming.
   delta-rs then appends and checkpoints that table, and Lamina reads the result.
2. delta-rs writes and checkpoints its own table (with txns and an overwrite); its early JSON commits
   are deleted; Lamina reads it through the delta-rs checkpoint.

Not part of `npm test` (it needs Python packages nothing installs). Run from the repo root:
    python3 -m venv /tmp/lamina-delta-venv && /tmp/lamina-delta-venv/bin/pip install deltalake pyarrow
    /tmp/lamina-delta-venv/bin/python shared/test/interop/checkpoint_interop.py
Exits non-zero on the first mismatch.
"""
import json
import os
import shutil
import sys
import tempfile

import pyarrow as pa
from deltalake import CommitProperties, DeltaTable, Transaction, write_deltalake

from interop_common import REPO, check, tsx


def log_files(path):
    return sorted(os.listdir(os.path.join(path, "_delta_log")))


def delete_commits_before(path, version):
    for name in log_files(path):
        if name.endswith(".json") and int(name[:20]) < version:
            os.remove(os.path.join(path, "_delta_log", name))


def lamina_reads_table_checkpointed_by_delta_rs_too(folder, expected):
    copy = os.path.join(folder, "events-copy")
    path = os.path.join(copy, "events")
    shutil.copytree(os.path.join(folder, "events"), path)
    delete_commits_before(path, 20)
    dt = DeltaTable(path)
    check(dt.version() == 25, "delta-rs, commits 0..19 deleted: still at version 25 (it read Lamina's checkpoint 20)")
    check(sorted(dt.to_pyarrow_table().column("n").to_pylist()) == expected["n"], "delta-rs, commits 0..19 deleted: same rows")
    check(dt.transaction_version("events/0") == 2400 and dt.transaction_version("events/1") == 2500, "delta-rs, commits 0..19 deleted: txn versions from the checkpoint")
    tombstones = dt.vacuum(retention_hours=0, dry_run=True, enforce_retention_duration=False)
    names = sorted(os.path.basename(p) for p in tombstones)
    want = sorted(os.path.basename(p) for p in expected["removed"])
    check(names == want, f"delta-rs vacuum (dry run) sees Lamina's checkpoint tombstones: {len(names)} files")
    try:
        DeltaTable(path, version=15)
        check(False, "delta-rs cannot time-travel to a deleted commit")
    except Exception as e:  # noqa: BLE001 - any error is right here
        check(True, f"delta-rs refuses version 15 after cleanup ({type(e).__name__})")

    write_deltalake(dt, pa.table({"kind": ["drs"], "n": pa.array([999_999], pa.int64())}), mode="append")
    dt = DeltaTable(path)
    dt.create_checkpoint()
    check(dt.version() == 26 and "00000000000000000026.checkpoint.parquet" in log_files(path), "delta-rs appended version 26 and checkpointed it")
    delete_commits_before(path, 26)
    seen = tsx("read-table.ts", copy, "events")
    check("error" not in seen, f"Lamina reads the table delta-rs checkpointed: {seen.get('error', 'no error')}")
    check(seen["version"] == 26 and seen["files"] == expected["liveFiles"] + 1, f"Lamina: version {seen['version']}, {seen['files']} files")
    check(sorted(r[1] for r in seen["rows"]) == sorted(expected["n"] + [999_999]), "Lamina: rows of both writers")
    check(seen["txns"] == expected["txns"], f"Lamina: txn versions kept through delta-rs's checkpoint {seen['txns']}")
    check(seen["logReads"] == ["_last_checkpoint", "00000000000000000026.checkpoint.parquet"], f"Lamina read only {seen['logReads']}")


def delta_rs_reads_lamina_checkpoints(folder):
    expected = tsx("write-checkpointed-table.ts", folder)
    path = os.path.join(folder, "events")
    files = log_files(path)
    check("00000000000000000010.checkpoint.parquet" in files and "00000000000000000020.checkpoint.parquet" in files, "Lamina wrote checkpoints 10 and 20")
    last = json.load(open(os.path.join(path, "_delta_log", "_last_checkpoint")))
    check(last["version"] == 20 and "checksum" in last, f"_last_checkpoint {last}")

    dt = DeltaTable(path)
    check(dt.version() == 25, "delta-rs: latest version 25")
    check(dt.metadata().partition_columns == ["kind"], "delta-rs: partition columns")
    check(sorted(dt.to_pyarrow_table().column("n").to_pylist()) == expected["n"], f"delta-rs: {len(expected['n'])} rows")
    check(len(dt.file_uris()) == expected["liveFiles"], f"delta-rs: {expected['liveFiles']} live files")
    check(dt.transaction_version("events/0") == 2400 and dt.transaction_version("events/1") == 2500, "delta-rs: txn versions")
    for version in [5, 10, 17, 20, 23]:
        old = DeltaTable(path, version=version)
        check(old.to_pyarrow_table().num_rows == expected["rowsAt"][str(version)], f"delta-rs: time travel to {version}")
    nulls = dt.to_pyarrow_table(filters=[("kind", "=", "a b/c=d")]).num_rows
    check(nulls > 0, f"delta-rs: partition value with special characters ({nulls} rows)")
    lamina_reads_table_checkpointed_by_delta_rs_too(folder, expected)


def lamina_reads_delta_rs_checkpoints(folder):
    path = os.path.join(folder, "drs")
    kinds = ["click", "view", None]
    for v in range(12):
        rows = pa.table({"kind": pa.array([kinds[v % 3]] * 2, pa.string()), "n": pa.array([v * 10, v * 10 + 1], pa.int64())})
        props = CommitProperties(app_transactions=[Transaction(app_id=f"events/{v % 2}", version=v * 100)])
        write_deltalake(path, rows, partition_by=["kind"], mode="overwrite" if v == 6 else "append", commit_properties=props)
    dt = DeltaTable(path)
    dt.create_checkpoint()
    for v in range(12, 14):
        write_deltalake(path, pa.table({"kind": ["late"], "n": pa.array([v], pa.int64())}), mode="append")
    dt = DeltaTable(path)
    check(dt.version() == 13 and "00000000000000000011.checkpoint.parquet" in log_files(path), "delta-rs: version 13, checkpoint at 11")
    want_n = sorted(dt.to_pyarrow_table().column("n").to_pylist())
    delete_commits_before(path, 11)

    seen = tsx("read-table.ts", folder, "drs")
    check("error" not in seen, f"Lamina reads delta-rs's checkpointed table: {seen.get('error', 'no error')}")
    check(seen["version"] == 13 and seen["files"] == len(dt.file_uris()), f"Lamina: version {seen['version']}, {seen['files']} files")
    check(sorted(r[1] for r in seen["rows"]) == want_n, f"Lamina: the same {len(want_n)} rows")
    check(sorted({r[0] for r in seen["rows"]}, key=str) == sorted({"click", "view", None, "late"}, key=str), "Lamina: partition values, null included")
    check(seen["txns"] == {"events/0": 1000, "events/1": 1100}, f"Lamina: txn versions from delta-rs's checkpoint {seen['txns']}")
    check(seen["logReads"][:2] == ["_last_checkpoint", "00000000000000000011.checkpoint.parquet"], f"Lamina read {seen['logReads']}")
    at11 = tsx("read-table.ts", folder, "drs", "11")
    check(at11.get("version") == 11 and sorted(r[1] for r in at11["rows"]) == [n for n in want_n if n not in (12, 13)], "Lamina: time travel to the checkpoint version")
    at9 = tsx("read-table.ts", folder, "drs", "9")
    check("cleaned up" in at9.get("error", ""), f"Lamina: version 9 refused clearly: {at9.get('error')}")


def main():
    folder = tempfile.mkdtemp(prefix="lamina-cp-interop-")
    delta_rs_reads_lamina_checkpoints(folder)
    lamina_reads_delta_rs_checkpoints(folder)
    print("all checkpoint interop checks passed")


if __name__ == "__main__":
    main()
    # As in describe_tables.py: skip the interpreter teardown, where deltalake's runtime can abort.
    sys.stdout.flush()
    os._exit(0)
