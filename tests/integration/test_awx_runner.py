"""Every runbook run the way AWX / Automation Controller runs a job template: through ansible-runner's Python API,
inputs as extra vars only (a survey's answers and AWX's awx_* variables), AWS credentials as the environment
variables AWX's credential injects, a terminal nobody types into, an idle and a job timeout. Each run must finish on its own
(nothing prompts or pauses), and its artifacts (the event stream, stdout) must hold the runbook's summary and the
path of its timeline record, which must exist and name the AWX user as the operator.

One converge per platform: inventories/local's primary region (ECS, with the edge and backups tiers),
inventories/local's two regions with the data tiers (database with its replicas and DR replica, cache, ECS and the
Route 53 failover pair: the failover and restore runbooks) and inventories/dev (EKS).
Changing runbooks run in check mode: their path to the summary is the same, and the point is how they run."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import ansible_runner
import pytest
import yaml
from conftest import ROOT
from conftest import run_playbook

RUNBOOKS = sorted(p.stem for p in (ROOT / "playbooks" / "runbooks").glob("*.yml"))
# ansible-runner runs a playbook as AWX does: on a pseudo-terminal that nobody types into (no passwords given).
# A prompt or a pause without a timeout waits there in silence, until the idle timeout kills the job.
JOB_TIMEOUT = 600
IDLE_TIMEOUT = 120
OPERATOR = "oncall-jane"
# How each runbook is launched on each platform: (extra vars, check mode). A runbook missing here fails
# test_every_runbook_is_run_here: add how AWX would launch it.
ECS_RUNS = {
    "deploy": ({"service": "api", "tag": "1.1.0"}, True),
    "rollback": ({"service": "api", "revision": 1}, True),
    "scale": ({"service": "worker", "count": 3, "min": 2, "max": 6}, True),
    "restart": ({"service": "api"}, True),
    "diagnose": ({"service": "api"}, False),
    "frontend_deploy": ({"source": "{build}"}, True),
    "verify_backups": ({}, False),
}
# The failover and restore runbooks, on inventories/local's two regions with the data tiers: (extra vars, check
# mode, the host the job is limited to). Those that run in the DR region are limited to its host, as their
# template's limit does on AWX.
PRIMARY, DR = "local-use1", "local-usw2"
DATA_RUNS = {
    "db_failover": ({}, True, PRIMARY),
    "db_promote_replica": ({"replica": "replica2"}, True, PRIMARY),
    "cache_failover": ({}, True, PRIMARY),
    "region_failover": ({}, True, DR),
    "db_snapshot": ({"reason": "before the 2.0 migration"}, True, PRIMARY),
    "db_restore": ({"target": "demo-local-db-restored", "restore_time": "latest"}, True, PRIMARY),
    "dr_drill": ({}, True, DR),
}
EKS_RUNS = {
    "deploy": ({"service": "auth-service", "tag": "1.1.0"}, True),
    "rollback": ({"service": "transaction-service", "revision": 1}, True),
    "scale": ({"service": "user-service", "count": 3, "min": 3, "max": 6}, True),
    "restart": ({"service": "user-service"}, True),
    "diagnose": ({"service": "auth-service"}, False),
}
# The task whose output is the runbook's one-screen summary, where it is not called "Summary".
SUMMARY_TASK = {"verify_backups": "Show the verification"}
# Runbooks whose run may end failed and still be a good run: verify_backups fails when a recovery point is
# missing, which a platform converged a minute ago has (no backup window has passed).
MAY_FAIL = {"verify_backups"}


@pytest.fixture(autouse=True)
def venv_on_path(monkeypatch):
    """ansible-runner finds ansible-playbook on PATH, as an execution environment has it."""
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")


def yaml_documents():
    for folder in ("playbooks", "roles"):
        for path in sorted((ROOT / folder).rglob("*.yml")):
            yield path, yaml.safe_load(path.read_text())
    yield ROOT / "site.yml", yaml.safe_load((ROOT / "site.yml").read_text())


def walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def test_no_playbook_prompts_or_pauses_without_a_timeout():
    """AWX has no terminal to answer a prompt: no vars_prompt, no pause without seconds or minutes."""
    found = []
    for path, document in yaml_documents():
        for node in walk(document):
            if "vars_prompt" in node:
                found.append(f"{path.relative_to(ROOT)}: vars_prompt in {node.get('name')!r}")
            for key in ("ansible.builtin.pause", "pause", "ansible.legacy.pause"):
                if key in node:
                    options = node[key] if isinstance(node[key], dict) else {}
                    if not ({"seconds", "minutes"} & set(options)):
                        found.append(f"{path.relative_to(ROOT)}: {node.get('name')!r} pauses without a timeout")
    assert found == []


def test_every_runbook_is_run_here():
    assert not set(ECS_RUNS) & set(DATA_RUNS)
    assert sorted({**ECS_RUNS, **DATA_RUNS}) == RUNBOOKS, "a runbook without an AWX-style run: add it to ECS_RUNS"


def test_a_prompt_is_caught_by_the_idle_timeout(tmp_path):
    """What the runs below rely on: a playbook that waits for an answer is killed, not left hanging."""
    playbook = tmp_path / "project" / "prompt.yml"
    playbook.parent.mkdir()
    playbook.write_text(
        "- hosts: localhost\n  connection: local\n  gather_facts: false\n"
        "  tasks:\n    - ansible.builtin.pause:\n        prompt: Type yes\n"
    )
    (tmp_path / "job").mkdir()
    run = ansible_runner.run(
        private_data_dir=str(tmp_path / "job"),
        project_dir=str(playbook.parent),
        playbook="prompt.yml",
        passwords={},
        settings={"idle_timeout": 5, "job_timeout": 60},
        quiet=True,
    )
    assert run.timed_out and run.status == "timeout"


def launch(emulator, tmp_path, inventory, runbook, extra, check, limit=None):
    """One job: ansible-runner, extra vars only, the credential's variables in the environment, stdin closed."""
    records = tmp_path / "records"
    (tmp_path / "job").mkdir()
    extravars = {
        **extra,
        "aws_endpoint_url": emulator.url,  # on AWX: the inventory's variable; here the emulator's address
        "awx_user_name": OPERATOR,
        "awx_job_id": 4242,
        "awx_job_template_name": f"stackops runbook {runbook}",
    }
    envvars = {
        **emulator.environment(),
        "AWS_ACCESS_KEY_ID": "emulator",
        "AWS_SECRET_ACCESS_KEY": "emulator",
        "STACKOPS_TIMELINE_DIR": str(records),
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
    }
    cmdline = " ".join((["--check"] if check else []) + ([f"--limit {limit}"] if limit else []))
    run = ansible_runner.run(
        private_data_dir=str(tmp_path / "job"),
        project_dir=str(ROOT),
        playbook=f"playbooks/runbooks/{runbook}.yml",
        inventory=str(ROOT / inventory),
        extravars=extravars,
        envvars=envvars,
        cmdline=cmdline or None,
        passwords={},  # nothing answers a prompt
        settings={"idle_timeout": IDLE_TIMEOUT, "job_timeout": JOB_TIMEOUT},
        quiet=True,
    )
    return run, records


def check_job(run, records, runbook):
    stdout = run.stdout.read()
    stderr = ""  # on the terminal, stderr is in stdout
    assert not run.timed_out, f"{runbook}: the job was killed, silent for {IDLE_TIMEOUT} s (a prompt or a pause?)"
    allowed = ("successful", "failed") if runbook in MAY_FAIL else ("successful",)
    assert run.status in allowed, f"{runbook}: {run.status} rc={run.rc}\n{stdout[-4000:]}\n{stderr[-2000:]}"
    events = list(run.events)
    kinds = {e["event"] for e in events}
    assert "playbook_on_stats" in kinds and "playbook_on_vars_prompt" not in kinds
    summary_task = SUMMARY_TASK.get(runbook, "Summary")
    summaries = [
        e
        for e in events
        if e["event"] in ("runner_on_ok", "runner_on_failed")
        and e["event_data"].get("task", "").startswith(summary_task)
        and e["event_data"].get("res", {}).get("msg")
    ]
    assert summaries, f"{runbook}: no {summary_task!r} event in the job's events"
    lines = summaries[-1]["event_data"]["res"]["msg"]
    text = "\n".join(lines if isinstance(lines, list) else [str(lines)])
    # The summary is in stdout too, where the YAML callback folds a long line (and colours it): compare the words.
    shown = " ".join(re.sub(r"\x1b\[[0-9;]*m", "", stdout).split())
    assert all(" ".join(line.split(":")[0].split()) in shown for line in text.splitlines()[:2]), text
    # The timeline record's path: in the summary (runbooks role) or the callback's closing line.
    found = re.findall(r"[Tt]imeline: (\S+)\.md", stdout + "\n" + stderr)
    assert found, f"{runbook}: no timeline path in the job's output"
    record = json.loads(Path(found[-1] + ".json").read_text())
    assert Path(found[-1]).parent == records
    assert record["runbook"] == runbook and record["operator"] == OPERATOR
    assert record["inputs"].get("awx_job_id") == 4242
    return record


@pytest.fixture(scope="module")
def ecs_platform(module_emulator):
    run = run_playbook(module_emulator, "tests/integration/playbooks/security_stack.yml")
    assert run.rc == 0, run.messages()
    run = run_playbook(module_emulator, "tests/integration/playbooks/awx_runbooks_ecs.yml", limit="local-use1")
    assert run.rc == 0, run.messages()
    module_emulator.configure("ecs-service-deployments", deploy_seconds=1.0, drain_seconds=0.5)
    return module_emulator


@pytest.mark.parametrize("runbook", sorted(ECS_RUNS))
def test_ecs_runbook_runs_as_an_awx_job(ecs_platform, tmp_path, runbook):
    extra, check = ECS_RUNS[runbook]
    build = tmp_path / "dist"
    (build / "assets").mkdir(parents=True)
    (build / "index.html").write_text("<html><script src='/assets/app.1a2b3c4d.js'></script></html>")
    (build / "assets" / "app.1a2b3c4d.js").write_text("console.log('hi')")
    extra = {k: (str(build) if v == "{build}" else v) for k, v in extra.items()}
    ecs_platform.clear_calls()
    run, records = launch(ecs_platform, tmp_path, "inventories/local", runbook, extra, check, limit="local-use1")
    check_job(run, records, runbook)
    if check:
        assert ecs_platform.writes() == [], f"{runbook} --check wrote"


@pytest.fixture(scope="module")
def data_platform():
    from stackops_emulator.client import Emulator

    (ROOT / "tests" / "output").mkdir(exist_ok=True)
    emulator = Emulator.spawn(log_path=str(ROOT / "tests" / "output" / "emulator-awx-data.log"))
    try:
        run = run_playbook(
            emulator, "tests/integration/playbooks/failover_stack.yml", extra_vars={"edge_parts": ["dns"]}
        )
        assert run.rc == 0, run.messages()
        yield emulator
    finally:
        emulator.stop()


@pytest.mark.parametrize("runbook", sorted(DATA_RUNS))
def test_data_runbook_runs_as_an_awx_job(data_platform, tmp_path, runbook):
    extra, check, host = DATA_RUNS[runbook]
    data_platform.clear_calls()
    run, records = launch(data_platform, tmp_path, "inventories/local", runbook, extra, check, limit=host)
    check_job(run, records, runbook)
    if check:
        assert data_platform.writes() == [], f"{runbook} --check wrote"


@pytest.fixture(scope="module")
def eks_platform(tmp_path_factory):
    from stackops_emulator.client import Emulator

    (ROOT / "tests" / "output").mkdir(exist_ok=True)
    emulator = Emulator.spawn(log_path=str(ROOT / "tests" / "output" / "emulator-awx-eks.log"))
    try:
        emulator.kube_rollouts(pod_ready_seconds=0.3)
        run = run_playbook(emulator, "tests/integration/playbooks/cluster_eks.yml", inventory="inventories/dev")
        assert run.rc == 0, run.messages()
        yield emulator
    finally:
        emulator.stop()


@pytest.mark.parametrize("runbook", sorted(EKS_RUNS))
def test_eks_runbook_runs_as_an_awx_job(eks_platform, tmp_path, runbook):
    extra, check = EKS_RUNS[runbook]
    eks_platform.kube_calls(clear=True)
    eks_platform.clear_calls()
    run, records = launch(eks_platform, tmp_path, "inventories/dev", runbook, extra, check)
    check_job(run, records, runbook)
    if check:
        assert eks_platform.kube_calls()["writes"] == 0, f"{runbook} --check wrote to the cluster"
        assert eks_platform.writes() == [], f"{runbook} --check wrote to AWS"
