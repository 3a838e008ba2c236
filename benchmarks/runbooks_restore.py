"""Restore runbook benchmark: ``restore_pitr``, our overhead on a point-in-time restore.

``playbooks/runbooks/db_restore.yml -e target=<new> -e restore_time=latest`` (validation, the database tier read,
the gate, the plan, RestoreDBInstanceToPointInTime, the bounded wait, the read-back check, the summary and the
timeline record) on inventories/local's primary database (untimed converge of the network, security and database
tiers first). The emulator keeps a restored instance ``creating`` for ``restore_seconds`` (the AWS-side wait);
our overhead is the runbook's wall time minus that. Target: at most 5 s.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
STACK = "tests/integration/database_stack.yml"
INVENTORY, HOST = "inventories/local", "local-use1"
NAMES = ("restore_pitr",)
RESTORE_SECONDS = 3.0
TARGET_OVERHEAD_S = 5.0


def _run(emulator, playbook, *extra):
    command = [str(BIN / "ansible-playbook"), playbook, "-i", INVENTORY, "--limit", HOST,
               "-e", f"aws_endpoint_url={emulator.url}", *extra]  # fmt: skip
    environment = dict(os.environ)
    environment.update(emulator.environment())
    environment.update(
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
        STACKOPS_TIMELINE_DIR=str(ROOT / "tests" / "output" / "bench-records"),
    )
    emulator.clear_calls()
    started = time.monotonic()
    completed = subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=900, check=False
    )
    seconds = time.monotonic() - started
    if completed.returncode != 0:
        sys.exit(
            f"bench: {playbook} failed (rc {completed.returncode}):\n{completed.stdout[-3000:]}\n{completed.stderr[-2000:]}"
        )
    calls = emulator.calls()
    return {"seconds": round(seconds, 2), "reads": calls["reads"], "writes": calls["writes"]}


def bench_runbooks(emulator_class, names, repeat, progress, bench_line):  # pylint: disable=unused-argument
    """Measure ``restore_pitr``; returns its figures (the bench's result format, plus the overhead)."""
    emulator = emulator_class.spawn()
    try:
        progress("runbooks (restore): converging the database tier of inventories/local (untimed)")
        emulator.configure("rds-backup-restore", restore_seconds=RESTORE_SECONDS)
        _run(emulator, STACK)
        runs = []
        for index in range(repeat):
            progress(f"runbooks (restore): round {index + 1}/{repeat}")
            runs.append(
                _run(
                    emulator,
                    "playbooks/runbooks/db_restore.yml",
                    "-e",
                    f"target=demo-local-db-bench{index}",
                    "-e",
                    "restore_time=latest",
                )
            )
    finally:
        emulator.stop()
    median = statistics.median(r["seconds"] for r in runs)
    overhead = round(median - RESTORE_SECONDS, 2)
    figures = {
        "name": "restore_pitr",
        "ours": {
            "median_s": round(median, 2),
            "runs_s": [r["seconds"] for r in runs],
            "reads": runs[0]["reads"],
            "writes": runs[0]["writes"],
        },
        "ratio": None,
        "aws_wait_s": RESTORE_SECONDS,
        "overhead_s": overhead,
        "target": {"overhead_at_most_s": TARGET_OVERHEAD_S, "met": overhead <= TARGET_OVERHEAD_S},
        "inventory": INVENTORY,
        "limit": HOST,
    }
    print(
        f"{bench_line(figures)} aws_wait_s={RESTORE_SECONDS:.2f} overhead_s={overhead:.2f} target_s={TARGET_OVERHEAD_S:.1f}",
        flush=True,
    )
    return [figures]


if __name__ == "__main__":  # python benchmarks/runbooks_restore.py [repeat]
    sys.path.insert(0, str(ROOT / "tests" / "emulator"))
    from stackops_emulator.client import Emulator

    def _line(figures):
        ours = figures["ours"]
        return f"BENCH {figures['name']} ours_s={ours['median_s']:.2f} ours_reads={ours['reads']} ours_writes={ours['writes']}"

    bench_runbooks(
        Emulator, NAMES, int(sys.argv[1]) if len(sys.argv) > 1 else 3, lambda m: print(m, file=sys.stderr), _line
    )
