"""Runbook benchmarks on EKS (ours alone: no kubectl or Helm can run against the emulator's Kubernetes fake).

- ``deploy_eks``: ``playbooks/runbooks/deploy.yml -e service=auth-service -e tag=<new>`` on ``inventories/dev``
  (validation, the service lookup, pre-checks, a new pod template through ``kube_rollout``, the wait for the
  rollout as ``kubectl rollout status`` checks it, the summary and the timeline record).
- ``rollback_eks``: ``playbooks/runbooks/rollback.yml -e service=auth-service`` after each untimed deploy.

The Deployment controller runs at the emulator's default pace (a Pod is ready 1 s after it is created;
auth-service has one replica, maxSurge 1, maxUnavailable 0: one new Pod, then the old one goes), so about 1 s of
each run is the rollout itself. AWS and Kubernetes calls come from the emulator's and the fake's request logs.
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
STACK = "tests/integration/playbooks/cluster_eks.yml"  # network + security + cluster (with the Kubernetes objects)
INVENTORY, HOST, SERVICE = "inventories/dev", "dev-use1", "auth-service"
NAMES = ("deploy_eks", "rollback_eks")


def _environment(emulator):
    environment = dict(os.environ)
    environment.update(emulator.environment())
    environment.update(
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
        AWS_REGION="us-east-1",
        STACKOPS_TIMELINE_DIR=str(ROOT / "tests" / "output" / "bench-records"),
    )
    return environment


def _playbook(emulator, playbook, *extra):
    return [
        str(BIN / "ansible-playbook"),
        playbook,
        "-i",
        INVENTORY,
        "--limit",
        HOST,
        "-e",
        f"aws_endpoint_url={emulator.url}",
        "-e",
        "aws_access_key=emulator",
        "-e",
        "aws_secret_key=emulator",
        *extra,
    ]


def _timed(command, emulator, what):
    emulator.clear_calls()
    emulator.kube_calls(clear=True)
    started = time.monotonic()
    completed = subprocess.run(
        command, cwd=ROOT, env=_environment(emulator), capture_output=True, text=True, timeout=900, check=False
    )
    seconds = time.monotonic() - started
    if completed.returncode != 0:
        sys.exit(
            f"bench: {what} failed (rc {completed.returncode}):\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
        )
    calls, kube = emulator.calls(), emulator.kube_calls()
    return {
        "seconds": round(seconds, 2),
        "reads": calls["reads"],
        "writes": calls["writes"],
        "kube_reads": kube["reads"],
        "kube_writes": kube["writes"],
    }


def _figures(name, runs):
    return {
        "name": name,
        "ours": {
            "median_s": round(statistics.median(r["seconds"] for r in runs), 2),
            "runs_s": [r["seconds"] for r in runs],
            "reads": runs[0]["reads"],
            "writes": runs[0]["writes"],
            "kube_reads": runs[0]["kube_reads"],
            "kube_writes": runs[0]["kube_writes"],
        },
        "ratio": None,
        "inventory": INVENTORY,
        "limit": HOST,
    }


def bench_runbooks(emulator_class, names, repeat, progress, bench_line):
    """Measure the EKS runbook scenarios in ``names``; returns their figures (the bench's result format)."""
    emulator = emulator_class.spawn()
    results = []
    try:
        progress("runbooks (EKS): converging the EKS platform of inventories/dev (untimed)")
        _timed(_playbook(emulator, STACK), emulator, "the EKS platform converge")
        deploys, rollbacks = [], []
        for index in range(repeat):
            progress(f"runbooks (EKS): round {index + 1}/{repeat}")
            deploy = _playbook(
                emulator, "playbooks/runbooks/deploy.yml", "-e", f"service={SERVICE}", "-e", f"tag=b{index}"
            )
            deploys.append(_timed(deploy, emulator, "deploy.yml (EKS)"))
            if "rollback_eks" in names:
                rollback = _playbook(emulator, "playbooks/runbooks/rollback.yml", "-e", f"service={SERVICE}")
                rollbacks.append(_timed(rollback, emulator, "rollback.yml (EKS)"))
        for name, runs in (("deploy_eks", deploys), ("rollback_eks", rollbacks)):
            if name in names and runs:
                figures = _figures(name, runs)
                results.append(figures)
                ours = figures["ours"]
                print(
                    f"{bench_line(figures)} kube_reads={ours['kube_reads']} kube_writes={ours['kube_writes']}",
                    flush=True,
                )
    finally:
        emulator.stop()
    return results


if __name__ == "__main__":  # python benchmarks/runbooks_eks.py [repeat]
    sys.path.insert(0, str(ROOT / "tests" / "emulator"))
    from stackops_emulator.client import Emulator

    def _line(figures):
        ours = figures["ours"]
        return (
            f"BENCH {figures['name']} ours_s={ours['median_s']:.2f} baseline_s=- ratio=- "
            f"ours_reads={ours['reads']} ours_writes={ours['writes']}"
        )

    found = bench_runbooks(
        Emulator, NAMES, int(sys.argv[1]) if len(sys.argv) > 1 else 3, lambda m: print(m, file=sys.stderr), _line
    )
    sys.exit(0 if found else 1)
