"""The runbooks on an ECS platform converged on the emulator: deploy, roll back, scale, restart, diagnose.

Results are read back with boto3; "no write" claims are checked against the emulator's request log.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT
from conftest import run_playbook

STACK = "tests/integration/playbooks/cluster_ecs.yml"
HOST = "local-use1"
CLUSTER = "demo-local"
BEHAVIOUR = "ecs-service-deployments"
FAST = {"deploy_seconds": 1.0, "drain_seconds": 0.5, "task_fail_seconds": 0.3, "bad_images": [":6.6.6-bad"]}
WRITE_OPERATIONS = ("RegisterTaskDefinition", "UpdateService", "TagResource", "RegisterScalableTarget")


@pytest.fixture(scope="module")
def ecs_platform(emulator_session, tmp_path_factory):
    """The network, security and cluster tiers of inventories/local, in its primary region only."""
    emulator_session.reset()
    run = run_playbook(emulator_session, STACK, limit=HOST)
    assert run.rc == 0, run.messages()
    return tmp_path_factory.mktemp("records")


@pytest.fixture
def platform(emulator_session, ecs_platform):
    emulator_session.configure(BEHAVIOUR, **FAST)
    emulator_session.set_faults()
    emulator_session.clear_calls()
    return emulator_session


def runbook(emulator, name, records, check=False, **extra):
    return run_playbook(
        emulator,
        f"playbooks/runbooks/{name}.yml",
        extra_vars=extra,
        check=check,
        limit=HOST,
        env={"STACKOPS_TIMELINE_DIR": str(records)},
    )


def service(emulator, name):
    ecs = emulator.boto3_client("ecs")
    return ecs.describe_services(cluster=CLUSTER, services=[name], include=["TAGS"])["services"][0]


def definition(emulator, arn):
    return emulator.boto3_client("ecs").describe_task_definition(taskDefinition=arn)["taskDefinition"]


def image_of(emulator, name):
    return definition(emulator, service(emulator, name)["taskDefinition"])["containerDefinitions"][0]["image"]


def revisions(emulator, family):
    ecs = emulator.boto3_client("ecs")
    return ecs.list_task_definitions(familyPrefix=family, status="ACTIVE")["taskDefinitionArns"]


def writes(emulator, *operations):
    return [c["operation"] for c in emulator.writes() if not operations or c["operation"] in operations]


def settled(emulator, name):
    """The service as ECS reports it: one deployment, COMPLETED, desired running, on the service's revision."""
    found = service(emulator, name)
    deployments = found["deployments"]
    return (
        len(deployments) == 1
        and deployments[0]["rolloutState"] == "COMPLETED"
        and deployments[0]["taskDefinition"] == found["taskDefinition"]
        and found["runningCount"] == found["desiredCount"]
    )


def summary_of(run, task):
    """The one-screen summary (the debug task inside the runbooks role's summary entry point)."""
    found = [r["msg"] for r in run.results(task) if isinstance(r.get("msg"), list)]
    assert found, f"no summary from {task!r}; tasks: {run.task_names()}"
    return found[-1]


def record_of(records, run_output):
    """The JSON timeline record the run's summary names."""
    text = json.dumps(run_output)
    path = next(p for p in records.glob("*.json") if p.stem in text)
    return json.loads(path.read_text())


# -- deploy ------------------------------------------------------------------------------------------------------------


def test_deploy_happy_path_then_a_rerun_changes_nothing(platform, ecs_platform):
    before = service(platform, "api")
    run = runbook(platform, "deploy", ecs_platform, service="api", image="api:1.1.0")
    assert run.rc == 0, run.messages()
    after = service(platform, "api")
    assert after["taskDefinition"] != before["taskDefinition"]
    assert image_of(platform, "api").endswith("/demo-local/api:1.1.0")
    assert settled(platform, "api") and after["runningCount"] == before["desiredCount"]
    assert writes(platform, "RegisterTaskDefinition", "UpdateService") == ["RegisterTaskDefinition", "UpdateService"]
    tags = {t["key"]: t["value"] for t in after["tags"]}
    assert tags["stackops:deploy-to"] == after["taskDefinition"].rsplit("/", 1)[1]
    summary = summary_of(run, "Summary")
    assert summary[0] == "deploy api:1.1.0 to api on local/us-east-1: ok"
    assert any(line.startswith("timeline: ") for line in summary)
    record = record_of(ecs_platform, summary)
    assert record["runbook"] == "deploy" and record["outcome"] == "ok"
    assert record["inputs"]["service"] == "api" and record["inputs"]["aws_secret_key"] == "********"
    deploy_task = next(t for t in record["tasks"] if t["task"].startswith("Deploy to the ECS service"))
    assert deploy_task["outcome"] == "changed" and [p["phase"] for p in deploy_task["phases"]][-1] == "wait"

    platform.clear_calls()
    again = runbook(platform, "deploy", ecs_platform, service="api", image="api:1.1.0")
    assert again.rc == 0, again.messages()
    assert again.changed() == 0
    assert writes(platform) == []
    assert service(platform, "api")["taskDefinition"] == after["taskDefinition"]


def test_a_bad_image_trips_the_circuit_breaker_and_the_service_ends_on_its_previous_revision(platform, ecs_platform):
    before = service(platform, "admin")
    run = runbook(platform, "deploy", ecs_platform, service="admin", tag="6.6.6-bad")
    assert run.rc != 0
    assert "circuit breaker" in run.messages() and "rolled back to" in run.messages()
    after = service(platform, "admin")
    assert after["taskDefinition"] == before["taskDefinition"]
    assert settled(platform, "admin") and after["runningCount"] == before["desiredCount"]
    failed = [e["message"] for e in after["events"] if "deployment failed" in e["message"]]
    assert failed, after["events"]
    summary = summary_of(run, "runbooks : Summary")
    assert summary[0].startswith(
        "deploy tag 6.6.6-bad to admin on local/us-east-1: FAILED, rolled back to demo-local-admin:"
    )


def test_a_timeout_rolls_back(platform, ecs_platform):
    # Tasks fail so slowly that the circuit breaker never trips within the wait: our timeout must act.
    platform.configure(BEHAVIOUR, task_fail_seconds=1000)
    before = service(platform, "worker")
    run = runbook(platform, "deploy", ecs_platform, service="worker", tag="6.6.6-bad", wait_timeout=3)
    assert run.rc != 0
    assert "timed out after 3 s" in run.messages()
    after = service(platform, "worker")
    assert after["taskDefinition"] == before["taskDefinition"]
    assert settled(platform, "worker") and after["runningCount"] == before["desiredCount"]
    assert writes(platform, "UpdateService") == ["UpdateService", "UpdateService"]  # the deploy, then the rollback


def test_a_rerun_after_an_interruption_registers_and_deploys_once(platform, ecs_platform, emulator_session):
    platform.configure(BEHAVIOUR, deploy_seconds=8)
    family = "demo-local-api"
    known = set(revisions(platform, family))
    command = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        str(ROOT / "playbooks/runbooks/deploy.yml"),
        "-i",
        str(ROOT / "inventories/local"),
        "--limit",
        HOST,
        "-e",
        json.dumps({"aws_endpoint_url": platform.url, "aws_access_key": "emulator", "aws_secret_key": "emulator"}),
        "-e",
        "service=api",
        "-e",
        "tag=1.3.0",
    ]
    environment = {**os.environ, **platform.environment(), "STACKOPS_TIMELINE_DIR": str(ecs_platform)}
    process = subprocess.Popen(
        command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 60
        while "UpdateService" not in writes(platform) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "UpdateService" in writes(platform), "the deploy never reached UpdateService"
        time.sleep(0.5)  # mid-wait
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        process.wait(30)
    assert not settled(platform, "api")  # killed while the deployment was still rolling
    run = runbook(platform, "deploy", ecs_platform, service="api", tag="1.3.0")
    assert run.rc == 0, run.messages()
    assert writes(platform, "RegisterTaskDefinition", "UpdateService") == ["RegisterTaskDefinition", "UpdateService"]
    assert len(set(revisions(platform, family)) - known) == 1
    assert settled(platform, "api") and image_of(platform, "api").endswith("/demo-local/api:1.3.0")


def test_check_mode_and_a_missing_confirm_write_nothing(platform, ecs_platform):
    before = service(platform, "api")
    dry = runbook(platform, "deploy", ecs_platform, check=True, service="api", tag="9.0.0")
    assert dry.rc == 0, dry.messages()
    assert writes(platform) == []
    summary = summary_of(dry, "Summary")
    assert summary[0].startswith("DRY RUN (--check), nothing changed.")
    assert any("register task definition demo-local-api:" in line for line in summary)
    protected = {"platform_protected_environments": ["local"]}
    for name, extra in (
        ("deploy", {"tag": "9.0.0"}),
        ("rollback", {}),
        ("scale", {"count": 3}),
        ("restart", {}),
    ):
        run = runbook(platform, name, ecs_platform, service="api", **extra, **protected)
        assert run.rc != 0, name
        assert "local is a protected environment" in run.messages() and "-e confirm=api" in run.messages(), name
    assert writes(platform) == []
    assert service(platform, "api")["taskDefinition"] == before["taskDefinition"]


def test_a_confirmed_change_to_a_protected_environment_goes_ahead(platform, ecs_platform):
    run = runbook(
        platform,
        "scale",
        ecs_platform,
        service="admin",
        count=2,
        confirm="admin",
        platform_protected_environments=["local"],
    )
    assert run.rc == 0, run.messages()
    assert service(platform, "admin")["desiredCount"] == 2


# -- rollback, scale, restart, diagnose ----------------------------------------------------------------------------------


def test_rollback_returns_to_the_previous_revision_and_a_second_rollback_changes_nothing(platform, ecs_platform):
    current = service(platform, "api")
    tags = {t["key"]: t["value"] for t in current["tags"]}
    previous = tags["stackops:deploy-from"]
    run = runbook(platform, "rollback", ecs_platform, service="api")
    assert run.rc == 0, run.messages()
    after = service(platform, "api")
    assert after["taskDefinition"].endswith("/" + previous) and settled(platform, "api")
    platform.clear_calls()
    again = runbook(platform, "rollback", ecs_platform, service="api")
    assert again.rc == 0, again.messages()
    assert again.changed() == 0 and writes(platform) == []
    assert service(platform, "api")["taskDefinition"] == after["taskDefinition"]


def test_scale_sets_the_count_and_the_auto_scaling_bounds_in_one_run(platform, ecs_platform):
    run = runbook(platform, "scale", ecs_platform, service="worker", count=5, min=2, max=6)
    assert run.rc == 0, run.messages()
    assert service(platform, "worker")["desiredCount"] == 5 and settled(platform, "worker")
    scaling = platform.boto3_client("application-autoscaling")
    target = scaling.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=["service/demo-local/worker"])
    assert (target["ScalableTargets"][0]["MinCapacity"], target["ScalableTargets"][0]["MaxCapacity"]) == (2, 6)
    platform.clear_calls()
    outside = runbook(platform, "scale", ecs_platform, service="worker", count=9)
    assert outside.rc != 0 and "count: 9 is outside the auto scaling bounds 2-6" in outside.messages()
    assert writes(platform) == []


def test_restart_starts_new_tasks_of_the_same_revision(platform, ecs_platform):
    before = service(platform, "admin")
    run = runbook(platform, "restart", ecs_platform, service="admin")
    assert run.rc == 0, run.messages()
    after = service(platform, "admin")
    assert after["taskDefinition"] == before["taskDefinition"]
    assert after["deployments"][0]["id"] != before["deployments"][0]["id"] and settled(platform, "admin")
    assert writes(platform, "UpdateService", "RegisterTaskDefinition") == ["UpdateService"]


def test_diagnose_reads_only_and_shows_the_error_lines(platform, ecs_platform):
    logs = platform.boto3_client("logs")
    group = "/aws/ecs/demo-local/api"
    logs.create_log_stream(logGroupName=group, logStreamName="api/api/diag")
    now = int(time.time() * 1000)
    lines = ["INFO started", "ERROR connection refused to db:5432", "INFO ok", "ERROR upstream timed out"]
    logs.put_log_events(
        logGroupName=group,
        logStreamName="api/api/diag",
        logEvents=[{"timestamp": now - 1000 + i, "message": m} for i, m in enumerate(lines)],
    )
    platform.clear_calls()
    run = runbook(platform, "diagnose", ecs_platform, service="api", lines=5)
    assert run.rc == 0, run.messages()
    assert writes(platform) == []
    summary = summary_of(run, "Summary")
    assert "  ERROR connection refused to db:5432" in summary and "  ERROR upstream timed out" in summary
    assert "  INFO ok" not in summary
    assert any(line.startswith("  alb_p95_latency_s:") for line in summary)
    assert any("rollback.yml" in line for line in summary)


# -- bad input: refused before any API call, naming the variable ----------------------------------------------------------

BAD_INPUT = {
    "deploy": {
        "no-service": ({"image": "api:1"}, "service"),
        "bad-service": ({"service": "api gateway", "tag": "1"}, "service"),
        "no-image": ({"service": "api"}, "image"),
        "image-and-tag": ({"service": "api", "image": "api:1", "tag": "1"}, "image, tag"),
        "bad-image": ({"service": "api", "image": "API:Latest!"}, "image"),
        "bad-tag": ({"service": "api", "tag": "-x"}, "tag"),
        "images-not-dict": ({"service": "api", "images": ["api:1"]}, "images"),
        "bad-images-entry": ({"service": "api", "images": {"api": "not an image"}}, "images.api"),
        "timeout-text": ({"service": "api", "tag": "1", "wait_timeout": "soon"}, "wait_timeout"),
        "timeout-zero": ({"service": "api", "tag": "1", "wait_timeout": 0}, "wait_timeout"),
        "rollback-text": ({"service": "api", "tag": "1", "rollback": "maybe"}, "rollback"),
        "bad-smoke-url": ({"service": "api", "tag": "1", "smoke_url": "ftp://x"}, "smoke_url"),
        "wrong-confirm": ({"service": "api", "tag": "1", "confirm": "admin"}, "confirm"),
        "bad-namespace": ({"service": "api", "tag": "1", "kube_namespace": "Money_Tracking"}, "kube_namespace"),
    },
    "rollback": {
        "no-service": ({}, "service"),
        "bad-service": ({"service": "a/b"}, "service"),
        "revision-zero": ({"service": "api", "revision": 0}, "revision"),
        "revision-text": ({"service": "api", "revision": "last"}, "revision"),
        "revision-negative": ({"service": "api", "revision": -3}, "revision"),
        "timeout-text": ({"service": "api", "wait_timeout": "x"}, "wait_timeout"),
        "timeout-huge": ({"service": "api", "wait_timeout": 999999}, "wait_timeout"),
        "bad-smoke-url": ({"service": "api", "smoke_url": "localhost/health"}, "smoke_url"),
        "wrong-confirm": ({"service": "api", "confirm": "apii"}, "confirm"),
        "bad-namespace": ({"service": "api", "kube_namespace": "-x"}, "kube_namespace"),
    },
    "scale": {
        "no-service": ({"count": 2}, "service"),
        "no-count": ({"service": "api"}, "count"),
        "count-text": ({"service": "api", "count": "many"}, "count"),
        "count-negative": ({"service": "api", "count": -1}, "count"),
        "count-huge": ({"service": "api", "count": 100000}, "count"),
        "min-above-max": ({"service": "api", "count": 3, "min": 5, "max": 4}, "min"),
        "count-below-min": ({"service": "api", "count": 1, "min": 2}, "count"),
        "count-above-max": ({"service": "api", "count": 9, "max": 4}, "count"),
        "min-text": ({"service": "api", "count": 2, "min": "low"}, "min"),
        "timeout-text": ({"service": "api", "count": 2, "wait_timeout": "x"}, "wait_timeout"),
        "wrong-confirm": ({"service": "api", "count": 2, "confirm": "worker"}, "confirm"),
    },
    "restart": {
        "no-service": ({}, "service"),
        "bad-service": ({"service": "api!"}, "service"),
        "service-list": ({"service": ["api", "admin"]}, "service"),
        "timeout-text": ({"service": "api", "wait_timeout": "later"}, "wait_timeout"),
        "timeout-zero": ({"service": "api", "wait_timeout": 0}, "wait_timeout"),
        "timeout-huge": ({"service": "api", "wait_timeout": 100000}, "wait_timeout"),
        "bad-smoke-url": ({"service": "api", "smoke_url": "http:/x"}, "smoke_url"),
        "smoke-url-spaces": ({"service": "api", "smoke_url": "http:// x"}, "smoke_url"),
        "wrong-confirm": ({"service": "api", "confirm": "admin"}, "confirm"),
        "bad-namespace": ({"service": "api", "kube_namespace": "a" * 64}, "kube_namespace"),
    },
    "diagnose": {
        "no-service": ({}, "service"),
        "bad-service": ({"service": "api service"}, "service"),
        "lines-zero": ({"service": "api", "lines": 0}, "lines"),
        "lines-huge": ({"service": "api", "lines": 5000}, "lines"),
        "lines-text": ({"service": "api", "lines": "all"}, "lines"),
        "minutes-zero": ({"service": "api", "minutes": 0}, "minutes"),
        "minutes-huge": ({"service": "api", "minutes": 10000}, "minutes"),
        "minutes-text": ({"service": "api", "minutes": "an hour"}, "minutes"),
        "pattern-huge": ({"service": "api", "filter_pattern": "x" * 2000}, "filter_pattern"),
        "bad-namespace": ({"service": "api", "kube_namespace": "UPPER"}, "kube_namespace"),
    },
}


@pytest.fixture(scope="module")
def bad_input_runs(emulator_session, tmp_path_factory):
    """Each runbook once, every bad case of it as one host of one inventory (inputs as host vars)."""
    runs = {}
    for name, cases in BAD_INPUT.items():
        hosts = {case: variables for case, (variables, _var) in cases.items()}
        inventory = {
            "all": {
                "vars": {
                    "ansible_connection": "local",
                    "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                    "platform_name": "demo",
                    "platform_environment": "local",
                    "platform_region": "us-east-1",
                    "cluster_type": "ecs",
                },
                "hosts": hosts,
            }
        }
        path = tmp_path_factory.mktemp(f"bad-{name}") / "hosts.yml"
        path.write_text(json.dumps(inventory))
        emulator_session.clear_calls()
        run = run_playbook(
            emulator_session,
            f"playbooks/runbooks/{name}.yml",
            inventory=str(path),
            extra_vars={"runbook_hosts": "all"},
            env={"ANSIBLE_FORKS": "10", "STACKOPS_TIMELINE_DIR": str(path.parent / "records")},
        )
        runs[name] = (run, emulator_session.calls())
    return runs


def _failure(run, host):
    for play in run.output.get("plays", []):
        for task in play.get("tasks", []):
            result = task["hosts"].get(host)
            if result and result.get("failed"):
                return task["task"]["name"], result
    return None, None


@pytest.mark.parametrize("name", list(BAD_INPUT))
def test_bad_input_is_refused_before_any_call(bad_input_runs, name):
    run, calls = bad_input_runs[name]
    assert calls["calls"] == [], calls["by_operation"]
    assert len(BAD_INPUT[name]) >= 10
    assert run.failed() == len(BAD_INPUT[name])
    for case, (_variables, variable) in BAD_INPUT[name].items():
        task, result = _failure(run, case)
        assert result is not None, f"{name}/{case} was not refused"
        assert "runbooks : " in task and ("argument spec" in task or "other rules" in task), task
        message = json.dumps(result.get("msg"))
        assert variable in message, f"{name}/{case}: {message}"
