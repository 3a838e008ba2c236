"""Failover runbook benchmarks: our overhead, i.e. the runbook's wall time minus the AWS-side wait the emulator plays.

- ``failover_rds``: ``playbooks/runbooks/db_failover.yml`` (a Multi-AZ forced failover; each round fails over
  again, alternating the AZ); the emulator's RDS failover takes ``AWS_WAIT["failover_rds"]`` seconds.
- ``failover_cache``: ``playbooks/runbooks/cache_failover.yml`` (TestFailover; AWS's 15-per-24-hours limit allows
  the default three rounds); the emulator's test failover takes ``AWS_WAIT["failover_cache"]`` seconds.
- ``region_failover``: ``playbooks/runbooks/region_failover.yml`` on the DR host (promote the DR replica, switch the
  Route 53 pair, scale the DR services); the promotion takes ``AWS_WAIT["region_failover"]`` seconds. Between
  rounds (untimed) the DR replica is made again by the database tier and the pair by the edge tier.
- ``region_failover_aurora``: the same runbook on an Aurora inventory (a second emulator with the database stack and
  its global database, ``tests/integration/database_stack.yml``; no Route 53 pair or services there, so the database
  step alone): the managed switchover to the DR cluster takes ``AWS_WAIT["region_failover_aurora"]`` seconds. Between
  rounds (untimed) the writer is switched back to the primary region.

``ours_s`` in the BENCH line is the overhead (median); the figures keep the wall times and the wait subtracted.
Target: at most 5 s of overhead per runbook. One emulator, converged once with
``tests/integration/playbooks/failover_stack.yml`` (untimed).
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
STACK = "tests/integration/playbooks/failover_stack.yml"
INVENTORY, PRIMARY, DR = "inventories/local", "local-use1", "local-usw2"
NAMES = ("failover_rds", "failover_cache", "region_failover", "region_failover_aurora")
AWS_WAIT = {"failover_rds": 3.0, "failover_cache": 3.0, "region_failover": 3.0, "region_failover_aurora": 3.0}
AURORA_STACK = "tests/integration/database_stack.yml"
AURORA = (
    '{"database_engine": "aurora-postgresql", "database_serverless_v2": true, "database_read_replicas": [],'
    ' "scale_services": false, "edge_api_domain": ""}'
)
GLOBAL, PRIMARY_CLUSTER = "demo-local-db-global", "arn:aws:rds:us-east-1:123456789012:cluster:demo-local-db"
TARGET_OVERHEAD_S = 5.0
DB, DR_DB, CACHE = "demo-local-db", "demo-local-db-dr", "demo-local-cache"


def _environment(emulator):
    environment = dict(os.environ)
    environment.update(emulator.environment())
    environment.update(
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
        STACKOPS_TIMELINE_DIR=str(ROOT / "tests" / "output" / "bench-records"),
    )
    return environment


def _run(emulator, playbook, limit, *extra, what=None):
    command = [
        str(BIN / "ansible-playbook"),
        playbook,
        "-i",
        INVENTORY,
        "--limit",
        limit,
        "-e",
        f'{{"aws_endpoint_url": "{emulator.url}", "aws_access_key": "emulator", "aws_secret_key": "emulator"}}',
        *extra,
    ]
    emulator.clear_calls()
    started = time.monotonic()
    completed = subprocess.run(
        command, cwd=ROOT, env=_environment(emulator), capture_output=True, text=True, timeout=1800, check=False
    )
    seconds = time.monotonic() - started
    if completed.returncode != 0:
        sys.exit(
            f"bench: {what or playbook} failed (rc {completed.returncode}):\n"
            f"{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
        )
    calls = emulator.calls()
    return {"seconds": round(seconds, 2), "reads": calls["reads"], "writes": calls["writes"]}


def _reset_region(emulator):
    """Put the DR side back as the tiers make it (untimed): a fresh cross-region replica, the Route 53 pair, and the
    DR api service at one task (pilot light)."""
    rds = emulator.boto3_client("rds", "us-west-2")
    rds.delete_db_instance(DBInstanceIdentifier=DR_DB, SkipFinalSnapshot=True)
    _run(emulator, "playbooks/database.yml", DR, what="the DR replica converge")
    _run(emulator, "playbooks/edge.yml", PRIMARY, "-e", '{"edge_parts": ["dns"]}', what="the edge converge")
    emulator.boto3_client("ecs", "us-west-2").update_service(cluster="demo-local", service="api", desiredCount=1)


def _figures(name, runs):
    wait = AWS_WAIT[name]
    overheads = [round(r["seconds"] - wait, 2) for r in runs]
    median = round(statistics.median(overheads), 2)
    return {
        "name": name,
        "baseline_tool": None,
        "ours": {
            "median_s": median,
            "runs_s": overheads,
            "wall_s": [r["seconds"] for r in runs],
            "aws_wait_s": wait,
            "reads": runs[0]["reads"],
            "writes": runs[0]["writes"],
        },
        "ratio": None,
        "target": {"overhead_at_most_s": TARGET_OVERHEAD_S, "met": median <= TARGET_OVERHEAD_S},
    }


def _aurora_rounds(emulator_class, repeat, progress):
    emulator = emulator_class.spawn()
    try:
        progress("failover: converging the Aurora database stack of inventories/local (untimed)")
        _run(emulator, AURORA_STACK, "all", "-e", AURORA, what="the Aurora database stack converge")
        emulator.configure("rds-global-clusters", switch_seconds=AWS_WAIT["region_failover_aurora"])
        runs = []
        for index in range(repeat):
            if index:
                progress("failover: switching the global database back to the primary region (untimed)")
                rds = emulator.boto3_client("rds", "us-east-1")
                rds.switchover_global_cluster(GlobalClusterIdentifier=GLOBAL, TargetDbClusterIdentifier=PRIMARY_CLUSTER)
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    found = rds.describe_global_clusters(GlobalClusterIdentifier=GLOBAL)["GlobalClusters"][0]
                    writer = [m["DBClusterArn"] for m in found["GlobalClusterMembers"] if m["IsWriter"]]
                    if (
                        found["Status"] == "available"
                        and not found.get("FailoverState")
                        and writer == [PRIMARY_CLUSTER]
                    ):
                        break
                    time.sleep(0.5)
            progress(f"failover: region_failover_aurora round {index + 1}/{repeat}")
            runs.append(_run(emulator, "playbooks/runbooks/region_failover.yml", DR, "-e", AURORA))
        return runs
    finally:
        emulator.stop()


def bench_runbooks(emulator_class, names, repeat, progress, bench_line):
    """Measure the failover scenarios in ``names``; returns their figures (the bench's result format)."""
    results = []
    if "region_failover_aurora" in names:
        figures = _figures("region_failover_aurora", _aurora_rounds(emulator_class, repeat, progress))
        figures.update(inventory=INVENTORY, limit=DR)
        results.append(figures)
        print(bench_line(figures), flush=True)
        names = [n for n in names if n != "region_failover_aurora"]
        if not names:
            return results
    emulator = emulator_class.spawn()
    try:
        progress("failover: converging the failover stack of inventories/local (untimed)")
        _run(emulator, STACK, "all", "-e", '{"edge_parts": ["dns"]}', what="the failover stack converge")
        emulator.configure(
            "rds-failover", failover_seconds=AWS_WAIT["failover_rds"], promote_seconds=AWS_WAIT["region_failover"]
        )
        emulator.configure("elasticache-test-failover", failover_seconds=AWS_WAIT["failover_cache"])
        # Scaling applies at once on the emulator: the region failover's AWS-side wait is the promotion alone.
        emulator.configure("ecs-service-deployments", deploy_seconds=0.0, drain_seconds=0.0)
        rounds = {name: [] for name in names}
        for index in range(repeat):
            if "failover_rds" in names:
                progress(f"failover: db_failover round {index + 1}/{repeat}")
                # Each round is a deliberate new failover: it states where the primary is now.
                zone = emulator.boto3_client("rds").describe_db_instances(DBInstanceIdentifier=DB)["DBInstances"][0][
                    "AvailabilityZone"
                ]
                rounds["failover_rds"].append(
                    _run(emulator, "playbooks/runbooks/db_failover.yml", PRIMARY, "-e", f"expected_az={zone}")
                )
            if "failover_cache" in names:
                progress(f"failover: cache_failover round {index + 1}/{repeat}")
                group = emulator.boto3_client("elasticache").describe_replication_groups(ReplicationGroupId=CACHE)
                primary = next(
                    m["CacheClusterId"]
                    for m in group["ReplicationGroups"][0]["NodeGroups"][0]["NodeGroupMembers"]
                    if m["CurrentRole"] == "primary"
                )
                rounds["failover_cache"].append(
                    _run(
                        emulator, "playbooks/runbooks/cache_failover.yml", PRIMARY, "-e", f"expected_primary={primary}"
                    )
                )
            if "region_failover" in names:
                if index:
                    progress("failover: putting the DR side back (untimed)")
                    _reset_region(emulator)
                else:
                    emulator.boto3_client("ecs", "us-west-2").update_service(
                        cluster="demo-local", service="api", desiredCount=1
                    )
                progress(f"failover: region_failover round {index + 1}/{repeat}")
                rounds["region_failover"].append(_run(emulator, "playbooks/runbooks/region_failover.yml", DR))
        for name in names:
            figures = _figures(name, rounds[name])
            figures.update(inventory=INVENTORY, limit=DR if name == "region_failover" else PRIMARY)
            results.append(figures)
            print(bench_line(figures), flush=True)
            if not figures["target"]["met"]:
                print(
                    f"NOTE {name}: overhead {figures['ours']['median_s']} s (wall minus the {AWS_WAIT[name]} s AWS-side "
                    f"wait) is above the {TARGET_OVERHEAD_S} s target",
                    flush=True,
                )
    finally:
        emulator.stop()
    return results
