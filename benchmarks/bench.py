"""Benchmarks: our converge against an amazon.aws-only playbook of the same spec, on the emulator.

``make bench`` runs this with the project's venv. For each scenario (a tier: our playbook, a baseline
playbook, an inventory and a host limit) it measures two comparisons:

- ``<scenario>_first``: converging an empty account, ``--repeat`` times (the emulator is emptied before
  each run); the median wall time of ``ansible-playbook``.
- ``<scenario>_noop``: converging once (untimed), then ``--repeat`` timed re-runs with nothing to do;
  the median wall time.

Each side runs against its own emulator (both playbooks name their resources alike), and the runs
alternate between the two sides so that load from elsewhere on the machine hits both. Reads and
writes come from the emulator's request log (of the first timed run; runs that disagree are reported).
Prints one ``BENCH`` line per comparison and writes everything to ``benchmarks/results.json``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from dataclasses import replace
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "emulator"))

from stackops_emulator.client import Emulator  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
import failover  # noqa: E402 (failover_rds, failover_cache, region_failover: see benchmarks/failover.py)
import runbooks  # noqa: E402 (deploy_ecs, deploy_ecs_awscli, rollback_ecs: see benchmarks/runbooks.py)
import runbooks_eks  # noqa: E402 (deploy_eks, rollback_eks: see benchmarks/runbooks_eks.py)
import runbooks_restore  # noqa: E402 (restore_pitr: see benchmarks/runbooks_restore.py)

RESULTS = ROOT / "benchmarks" / "results.json"
SIDES = ("ours", "baseline")
TARGET_NOOP_RATIO = 4  # issue 2: our no-op converge at least 4x faster than the baseline, with zero writes


@dataclass(frozen=True)
class Scenario:
    """One tier converged by our playbook and by the baseline playbook, on one inventory host."""

    name: str
    ours: str  # playbook, relative to the repository root
    baseline: str | None  # None: our side only (time and API calls, no comparison)
    inventory: str
    limit: str
    prepare: tuple = ()  # playbooks converged (untimed) after each reset, e.g. the network a later tier needs

    @property
    def sides(self) -> tuple:
        return SIDES if self.baseline else SIDES[:1]


# A tier adds one line. With a baseline playbook (benchmarks/baseline_<tier>.yml) the line compares; with
# None it measures our side only: time and API calls of the first and the no-op converge.
EARLIER = ("playbooks/network.yml", "playbooks/security.yml")  # what the cluster and data tiers sit on
SCENARIOS = [
    Scenario("network", "playbooks/network.yml", "benchmarks/baseline_network.yml", "inventories/prod", "prod-use1"),
    Scenario(
        "security",
        "playbooks/security.yml",
        "benchmarks/baseline_security.yml",
        "inventories/prod",
        "prod-use1",
        prepare=("playbooks/network.yml",),
    ),
    Scenario("cluster_eks", "playbooks/cluster.yml", None, "inventories/prod", "prod-use1", prepare=EARLIER),
    Scenario(
        "cluster_ecs",
        "playbooks/cluster.yml",
        "benchmarks/baseline_cluster_ecs.yml",
        "inventories/local",
        "local-use1",
        prepare=EARLIER,
    ),
    Scenario(
        "database",
        "playbooks/database.yml",
        "benchmarks/baseline_database.yml",
        "inventories/prod",
        "prod-use1",
        prepare=EARLIER,
    ),
    Scenario("cache", "playbooks/cache.yml", None, "inventories/prod", "prod-use1", prepare=EARLIER),
    Scenario("search", "playbooks/search.yml", None, "inventories/local", "local-use1", prepare=EARLIER),
    # Seed 001's buckets of prod, documents and backups replicated to the DR region (both regions' keys).
    Scenario(
        "storage",
        "playbooks/storage.yml",
        None,
        "inventories/prod",
        "all",
        prepare=(*EARLIER, "benchmarks/prepare_grant_roles.yml"),
    ),
    # The local edge: zone, certificates, the CloudFront front end and its records (no load balancer here).
    Scenario("edge", "playbooks/edge.yml", None, "inventories/local", "local-use1", prepare=EARLIER),
    # ~60 alarms in one module run (paged DescribeAlarms) against amazon.aws.cloudwatch_metric_alarm in a loop.
    Scenario(
        "monitoring",
        "playbooks/monitoring.yml",
        "benchmarks/baseline_monitoring.yml",
        "benchmarks/inventories/monitoring",
        "bench-use1",
    ),
    # Every tier of prod, both regions (prod-use1 and its DR region prod-usw2), as `site.yml` converges them.
    Scenario("site", "site.yml", None, "inventories/prod", "all"),
]


@dataclass
class Run:
    seconds: float
    reads: int
    writes: int
    changed: int
    api_ms: float  # time the emulator spent answering, summed over calls
    operations: dict  # "service:Operation" -> count
    regions: list


def ansible_playbook(emulator: Emulator, scenario: Scenario, playbook: str, extra: list | None = None):
    command = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        playbook,
        "-i",
        scenario.inventory,
        "--limit",
        scenario.limit,
        "-e",
        f"aws_endpoint_url={emulator.url}",
        "-e",
        "aws_access_key=emulator",
        "-e",
        "aws_secret_key=emulator",
        *(extra or []),
    ]
    environment = dict(os.environ)
    environment.update(emulator.environment())
    environment.update(
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_NOCOLOR="1",
    )
    started = time.monotonic()
    completed = subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=1800, check=False
    )
    return time.monotonic() - started, completed


def run_once(emulator: Emulator, scenario: Scenario, playbook: str) -> Run:
    emulator.clear_calls()
    seconds, completed = ansible_playbook(emulator, scenario, playbook)
    try:
        stats = json.loads(completed.stdout)["stats"]
    except (json.JSONDecodeError, KeyError):
        stats = None
    failed = not stats or any(s["failures"] or s["unreachable"] for s in stats.values())  # no stats: no host ran
    if completed.returncode != 0 or failed:
        sys.exit(
            f"bench: {playbook} -i {scenario.inventory} --limit {scenario.limit} failed "
            f"(rc {completed.returncode}):\n{completed.stdout[-4000:]}\n{completed.stderr[-4000:]}"
        )
    log = emulator.calls()
    calls = [c for c in log["calls"] if not c["fault"]]
    return Run(
        seconds=round(seconds, 2),
        reads=sum(c["kind"] == "read" for c in calls),
        writes=sum(c["kind"] == "write" for c in calls),
        changed=sum(s["changed"] for s in stats.values()),
        api_ms=round(sum(c.get("ms", 0) for c in calls), 1),
        operations=log["by_operation"],
        regions=sorted({c["region"] for c in calls if c.get("region")}),
    )


def empty(emulator: Emulator, scenario: Scenario):
    """Reset the emulator to an empty account, then converge what the scenario builds on (untimed)."""
    emulator.reset()
    for playbook in scenario.prepare:
        run_once(emulator, scenario, playbook)


def resources(emulator: Emulator, regions: list) -> dict:
    """What a converge left in the account, counted by reading it back (to show both sides built the same)."""
    found = {}
    for region in regions:
        ec2 = emulator.boto3_client("ec2", region)
        vpcs = [v for v in ec2.describe_vpcs()["Vpcs"] if not v["IsDefault"]]
        vpc_ids = [v["VpcId"] for v in vpcs]
        in_vpcs = [{"Name": "vpc-id", "Values": vpc_ids}] if vpc_ids else None
        if not in_vpcs:
            found[region] = {"vpcs": 0}
            continue
        tables = ec2.describe_route_tables(Filters=in_vpcs)["RouteTables"]
        nats = [n for n in ec2.describe_nat_gateways(Filter=in_vpcs)["NatGateways"] if n["State"] != "deleted"]
        found[region] = {
            "vpcs": len(vpcs),
            "subnets": sorted(s["CidrBlock"] for s in ec2.describe_subnets(Filters=in_vpcs)["Subnets"]),
            "internet_gateways": len(
                ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": vpc_ids}])[
                    "InternetGateways"
                ]
            ),
            "nat_gateways": len(nats),
            "elastic_ips": len(ec2.describe_addresses()["Addresses"]),
            "route_tables": sum(not any(a.get("Main") for a in t["Associations"]) for t in tables),
            "subnet_associations": sum(bool(a.get("SubnetId")) for t in tables for a in t["Associations"]),
            "default_routes": sum(r.get("DestinationCidrBlock") == "0.0.0.0/0" for t in tables for r in t["Routes"]),
            "endpoints": sorted(  # com.amazonaws.us-east-1.ecr.api -> ecr.api
                e["ServiceName"].split(".", 3)[-1] for e in ec2.describe_vpc_endpoints(Filters=in_vpcs)["VpcEndpoints"]
            ),
            "security_groups": sum(
                g["GroupName"] != "default" for g in ec2.describe_security_groups(Filters=in_vpcs)["SecurityGroups"]
            ),
            "flow_logs": len(ec2.describe_flow_logs()["FlowLogs"]),
            "log_groups": len(emulator.boto3_client("logs", region).describe_log_groups()["logGroups"]),
            "db_subnet_groups": len(emulator.boto3_client("rds", region).describe_db_subnet_groups()["DBSubnetGroups"]),
            "cache_subnet_groups": len(
                [
                    g
                    for g in emulator.boto3_client("elasticache", region).describe_cache_subnet_groups()[
                        "CacheSubnetGroups"
                    ]
                    if g["CacheSubnetGroupName"] != "default"
                ]
            ),
        }
    found["global"] = {"iam_roles": len(emulator.boto3_client("iam").list_roles()["Roles"])}
    return found


def summarize(name: str, runs: dict[str, list[Run]]) -> dict:
    figures = {"name": name}
    for side, side_runs in runs.items():
        first = side_runs[0]
        figures[side] = {
            "median_s": round(statistics.median(r.seconds for r in side_runs), 2),
            "min_s": min(r.seconds for r in side_runs),
            "runs_s": [r.seconds for r in side_runs],
            "reads": first.reads,
            "writes": first.writes,
            "changed": first.changed,
            "api_ms": first.api_ms,
            "operations": first.operations,
            "calls_vary": len({(r.reads, r.writes) for r in side_runs}) > 1,
        }
    figures["ratio"] = (
        round(figures["baseline"]["median_s"] / figures["ours"]["median_s"], 2) if "baseline" in runs else None
    )
    return figures


def bench_line(figures: dict) -> str:
    ours, baseline = figures["ours"], figures.get("baseline")
    if baseline is None:
        return (
            f"BENCH {figures['name']} ours_s={ours['median_s']:.2f} baseline_s=- ratio=- "
            f"ours_reads={ours['reads']} ours_writes={ours['writes']}"
        )
    return (
        f"BENCH {figures['name']} ours_s={ours['median_s']:.2f} baseline_s={baseline['median_s']:.2f} "
        f"ratio={figures['ratio']:.2f} ours_reads={ours['reads']} ours_writes={ours['writes']} "
        f"baseline_reads={baseline['reads']} baseline_writes={baseline['writes']}"
    )


def progress(message: str):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def measure_first(emulators: dict, scenario: Scenario, repeat: int) -> dict:
    runs = {side: [] for side in scenario.sides}
    for index in range(repeat):
        # Alternate which side goes first so that drifting load elsewhere hits both alike.
        for side in scenario.sides if index % 2 == 0 else reversed(scenario.sides):
            empty(emulators[side], scenario)
            run = run_once(emulators[side], scenario, getattr(scenario, side))
            runs[side].append(run)
            progress(f"{scenario.name} first run {index + 1}/{repeat} {side}: {run.seconds:.2f} s")
    return runs


def measure_noop(emulators: dict, scenario: Scenario, repeat: int) -> tuple[dict, dict]:
    found = {}
    for side in scenario.sides:
        empty(emulators[side], scenario)
        converge = run_once(emulators[side], scenario, getattr(scenario, side))
        progress(f"{scenario.name} converge (untimed) {side}: {converge.seconds:.2f} s")
        found[side] = resources(emulators[side], converge.regions)
    runs = {side: [] for side in scenario.sides}
    for index in range(repeat):
        for side in scenario.sides if index % 2 == 0 else reversed(scenario.sides):
            run = run_once(emulators[side], scenario, getattr(scenario, side))
            runs[side].append(run)
            progress(f"{scenario.name} no-op run {index + 1}/{repeat} {side}: {run.seconds:.2f} s")
    return runs, found


def warm_up(emulators: dict, scenario: Scenario):
    """Fail fast on a playbook that does not parse, and take the cold start out of the timings.

    A fresh emulator answers its first calls to each service slowly (moto loads that service's code; about
    1 s for the network's services) and a first ``ansible-playbook`` compiles the collection's Python. One
    untimed converge of our playbook on each emulator pays for both; ``reset`` keeps moto's code loaded.
    """
    for playbook in filter(None, (*scenario.prepare, scenario.ours, scenario.baseline)):
        completed = ansible_playbook(emulators["ours"], scenario, playbook, ["--syntax-check"])[1]
        if completed.returncode != 0:
            sys.exit(f"bench: {playbook} does not parse:\n{completed.stdout}\n{completed.stderr}")
    for side in scenario.sides:
        empty(emulators[side], scenario)
        run = run_once(emulators[side], scenario, scenario.ours)
        progress(f"{scenario.name} warm-up ({side}'s emulator, untimed): {run.seconds:.2f} s")
        emulators[side].reset()


def versions() -> dict:
    found = {}
    for package in ("ansible-core", "ansible", "moto", "boto3", "botocore"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    import ansible

    collections = Path(ansible.__file__).resolve().parents[1] / "ansible_collections"
    for collection in ("amazon.aws", "community.aws"):
        manifest = collections.joinpath(*collection.split("."), "MANIFEST.json")
        found[collection] = (
            json.loads(manifest.read_text())["collection_info"]["version"] if manifest.exists() else None
        )
    found["python"] = sys.version.split()[0]
    return found


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--repeat", type=int, default=3, metavar="N", help="timed runs per side (default 3)")
    parser.add_argument("--only", choices=["first", "noop"], help="measure only the first run or the no-op run")
    parser.add_argument(
        "--scenario",
        action="append",
        choices=[s.name for s in SCENARIOS]
        + list(runbooks.NAMES)
        + list(runbooks_eks.NAMES)
        + list(failover.NAMES)
        + list(runbooks_restore.NAMES),
        help="scenarios to run (default: all); repeatable",
    )
    parser.add_argument("--inventory", help="inventory for the scenarios (default: each scenario's own)")
    parser.add_argument("--limit", help="host or group to converge (default: each scenario's own)")
    parser.add_argument(
        "--output", type=Path, default=RESULTS, help=f"results file (default {RESULTS.relative_to(ROOT)})"
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if bool(args.inventory) != bool(args.limit):
        parser.error("--inventory and --limit go together (a limit names hosts of that inventory)")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    scenarios = [s for s in SCENARIOS if not args.scenario or s.name in args.scenario]
    runbook_names = [n for n in runbooks.NAMES if not args.scenario or n in args.scenario]
    eks_runbook_names = [n for n in runbooks_eks.NAMES if not args.scenario or n in args.scenario]
    failover_names = [n for n in failover.NAMES if not args.scenario or n in args.scenario]
    restore_names = [n for n in runbooks_restore.NAMES if not args.scenario or n in args.scenario]
    if args.inventory:
        scenarios = [replace(s, inventory=args.inventory, limit=args.limit) for s in scenarios]
    modes = [args.only] if args.only else ["first", "noop"]
    started = datetime.datetime.now(datetime.UTC)
    load_before = os.getloadavg()
    results = []
    failures = []
    logs = tempfile.mkdtemp(prefix="stackops-bench-")
    sides = SIDES if any(s.baseline for s in scenarios) else SIDES[:1]
    emulators = {}
    if scenarios:
        emulators = {side: Emulator.spawn(log_path=os.path.join(logs, f"emulator-{side}.log")) for side in sides}
    try:
        for scenario in scenarios:
            warm_up(emulators, scenario)
            for mode in modes:
                if mode == "first":
                    runs, found = measure_first(emulators, scenario, args.repeat), None
                else:
                    runs, found = measure_noop(emulators, scenario, args.repeat)
                figures = summarize(f"{scenario.name}_{mode}", runs)
                figures.update(inventory=scenario.inventory, limit=scenario.limit)
                figures.update(ours_playbook=scenario.ours, baseline_playbook=scenario.baseline)
                if found:
                    figures["resources"] = found
                results.append(figures)
                print(bench_line(figures), flush=True)
                if mode == "noop":
                    ours = figures["ours"]
                    if ours["writes"] or ours["changed"]:
                        failures.append(
                            f"{figures['name']}: our no-op run made {ours['writes']} write(s), changed={ours['changed']}"
                        )
                    if figures["ratio"] is None:
                        continue
                    figures["target"] = {"ratio_at_least": TARGET_NOOP_RATIO, "writes": 0}
                    figures["target"]["met"] = figures["ratio"] >= TARGET_NOOP_RATIO and not ours["writes"]
                    if figures["ratio"] < TARGET_NOOP_RATIO:
                        print(
                            f"NOTE {figures['name']}: ratio {figures['ratio']} is below the {TARGET_NOOP_RATIO}x target"
                        )
                    if found and found["ours"] != found.get("baseline", found["ours"]):
                        differing = sorted(
                            f"{region}.{key}"
                            for region in found["ours"].keys() | found["baseline"].keys()
                            for key in _differing(found["ours"].get(region), found["baseline"].get(region))
                        )
                        print(
                            f"NOTE {scenario.name}: the two sides' resources differ in {', '.join(differing)}",
                            flush=True,
                        )
        if runbook_names:
            results += runbooks.bench_runbooks(Emulator, runbook_names, args.repeat, progress, bench_line)
        if eks_runbook_names:
            results += runbooks_eks.bench_runbooks(Emulator, eks_runbook_names, args.repeat, progress, bench_line)
        if failover_names:
            results += failover.bench_runbooks(Emulator, failover_names, args.repeat, progress, bench_line)
        if restore_names:
            results += runbooks_restore.bench_runbooks(Emulator, restore_names, args.repeat, progress, bench_line)
    finally:
        for emulator in emulators.values():
            emulator.stop()
    shutil.rmtree(logs, ignore_errors=True)
    document = {
        "date": started.isoformat(timespec="seconds"),
        "repeat": args.repeat,
        "nproc": os.cpu_count(),
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "versions": versions(),
        "comparisons": results,
    }
    args.output.write_text(json.dumps(document, indent=2) + "\n")
    progress(f"wrote {args.output}")
    for failure in failures:
        print(f"FAIL {failure}", flush=True)
    return 1 if failures else 0


def _differing(ours, baseline):
    ours, baseline = ours or {}, baseline or {}
    return [key for key in ours.keys() | baseline.keys() if ours.get(key) != baseline.get(key)]


if __name__ == "__main__":
    sys.exit(main())
