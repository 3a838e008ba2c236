"""Runbook benchmarks: deploying one ECS service, ours against the tools on-call uses today, on one emulator.

- ``deploy_ecs``: ``playbooks/runbooks/deploy.yml -e service=api -e tag=<new>`` (validation, the lookup,
  pre-checks, a new revision, the update, the wait for the new PRIMARY deployment, the summary and the timeline
  record) against fabfuel's ``ecs deploy demo-local api --tag <new>`` (ecs-deploy, a new revision and a wait for
  the running tasks of it; ``--no-deregister`` because ours never deregisters).
- ``deploy_ecs_awscli``: ours against the seeds' sequence ``aws ecs update-service --force-new-deployment`` +
  ``aws ecs wait services-stable`` (awscli's waiter polls every 15 s; it runs from its own venv, ``.venv-awscli``,
  because awscli pins docutils below what the project's venv has).
- ``rollback_ecs``: ``playbooks/runbooks/rollback.yml -e service=api`` after an untimed deploy (ours alone).

Every side runs against the same emulator with the same deployment timings (the emulator's defaults: tasks start
over 2 s, the old ones drain over 1 s), turn about, so that other load on the machine hits all sides.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
AWSCLI_VENV = ROOT / ".venv-awscli"
AWSCLI_REQUIREMENT = "awscli==1.46.3"
STACK = "tests/integration/playbooks/cluster_ecs.yml"
INVENTORY, HOST, CLUSTER, SERVICE = "inventories/local", "local-use1", "demo-local", "api"
NAMES = ("deploy_ecs", "deploy_ecs_awscli", "rollback_ecs")
TARGET_DEPLOY_RATIO = 1 / 1.5  # ours at most 1.5x the time of `ecs deploy`


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


def _timed(command, emulator, what):
    emulator.clear_calls()
    started = time.monotonic()
    completed = subprocess.run(
        command, cwd=ROOT, env=_environment(emulator), capture_output=True, text=True, timeout=900, check=False
    )
    seconds = time.monotonic() - started
    if completed.returncode != 0:
        sys.exit(
            f"bench: {what} failed (rc {completed.returncode}):\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
        )
    calls = emulator.calls()
    return {"seconds": round(seconds, 2), "reads": calls["reads"], "writes": calls["writes"]}


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


def _awscli():
    """The aws command from its own venv (made on first use), or None when it cannot be installed."""
    aws = AWSCLI_VENV / "bin" / "aws"
    if aws.exists():
        return aws
    try:
        subprocess.run([sys.executable, "-m", "venv", str(AWSCLI_VENV)], check=True, capture_output=True)
        subprocess.run(
            [str(AWSCLI_VENV / "bin" / "pip"), "install", "-q", AWSCLI_REQUIREMENT], check=True, capture_output=True
        )
    except subprocess.CalledProcessError as error:
        print(f"NOTE deploy_ecs_awscli: could not install {AWSCLI_REQUIREMENT}: {error.stderr[-500:]}", flush=True)
        shutil.rmtree(AWSCLI_VENV, ignore_errors=True)
        return None
    return aws


def _figures(name, sides, baseline_label=None):
    figures = {"name": name, "baseline_tool": baseline_label}
    for side, runs in sides.items():
        figures[side] = {
            "median_s": round(statistics.median(r["seconds"] for r in runs), 2),
            "runs_s": [r["seconds"] for r in runs],
            "reads": runs[0]["reads"],
            "writes": runs[0]["writes"],
        }
    baseline = figures.get("baseline")
    figures["ratio"] = round(baseline["median_s"] / figures["ours"]["median_s"], 2) if baseline else None
    return figures


def bench_runbooks(emulator_class, names, repeat, progress, bench_line):
    """Measure the runbook scenarios in ``names``; returns their figures (the bench's result format)."""
    emulator = emulator_class.spawn()
    results = []
    try:
        progress("runbooks: converging the ECS platform of inventories/local (untimed)")
        _timed(_playbook(emulator, STACK), emulator, "the ECS platform converge")
        ecs_deploy = str(BIN / "ecs")
        aws = _awscli() if "deploy_ecs_awscli" in names else None
        ours, fabfuel, awscli, rollback = [], [], [], []
        for index in range(repeat):
            if "deploy_ecs" in names or "deploy_ecs_awscli" in names:
                progress(f"runbooks: deploy round {index + 1}/{repeat}")
                ours.append(
                    _timed(
                        _playbook(
                            emulator,
                            "playbooks/runbooks/deploy.yml",
                            "-e",
                            f"service={SERVICE}",
                            "-e",
                            f"tag=ours-{index}",
                        ),
                        emulator,
                        "deploy.yml",
                    )
                )
            if "deploy_ecs" in names:
                fabfuel.append(
                    _timed(
                        [
                            ecs_deploy,
                            "deploy",
                            CLUSTER,
                            SERVICE,
                            "--tag",
                            f"ecs-{index}",
                            "--timeout",
                            "600",
                            "--no-deregister",
                        ],
                        emulator,
                        "ecs deploy",
                    )
                )
            if aws is not None:
                cli = [str(aws), "--region", "us-east-1", "ecs"]
                awscli.append(
                    _timed(
                        [
                            "bash",
                            "-c",
                            " ".join(
                                [
                                    *cli,
                                    "update-service",
                                    "--cluster",
                                    CLUSTER,
                                    "--service",
                                    SERVICE,
                                    "--force-new-deployment",
                                ]
                            )
                            + " >/dev/null && "
                            + " ".join([*cli, "wait", "services-stable", "--cluster", CLUSTER, "--services", SERVICE]),
                        ],
                        emulator,
                        "aws ecs update-service + wait services-stable",
                    )
                )
            if "rollback_ecs" in names:
                progress(f"runbooks: rollback round {index + 1}/{repeat}")
                _timed(
                    _playbook(
                        emulator,
                        "playbooks/runbooks/deploy.yml",
                        "-e",
                        f"service={SERVICE}",
                        "-e",
                        f"tag=before-rollback-{index}",
                    ),
                    emulator,
                    "deploy.yml (before the rollback)",
                )
                rollback.append(
                    _timed(
                        _playbook(emulator, "playbooks/runbooks/rollback.yml", "-e", f"service={SERVICE}"),
                        emulator,
                        "rollback.yml",
                    )
                )
        if "deploy_ecs" in names:
            results.append(_figures("deploy_ecs", {"ours": ours, "baseline": fabfuel}, "ecs-deploy (fabfuel) 1.17.0"))
        if "deploy_ecs_awscli" in names and awscli:
            results.append(
                _figures(
                    "deploy_ecs_awscli",
                    {"ours": ours, "baseline": awscli},
                    "aws ecs update-service + wait services-stable",
                )
            )
        if "rollback_ecs" in names:
            results.append(_figures("rollback_ecs", {"ours": rollback}))
        for figures in results:
            figures.update(inventory=INVENTORY, limit=HOST)
            print(bench_line(figures), flush=True)
            if figures["name"] == "deploy_ecs":
                met = figures["ratio"] >= TARGET_DEPLOY_RATIO
                figures["target"] = {"ours_at_most_x_baseline": 1.5, "met": met}
                if not met:
                    print(
                        f"NOTE deploy_ecs: ours takes {1 / figures['ratio']:.2f}x the time of ecs deploy (target 1.5x)"
                    )
    finally:
        emulator.stop()
    return results
