"""Shared fixtures: the emulator (one per test session, reset per test) and a playbook runner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "emulator"))

from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder  # noqa: E402

# `ansible_collections.stackops.platform` resolves to this checkout (through .collections), the
# collections pip installed (amazon.aws, ...) to site-packages: as ansible-playbook sees them.
_AnsibleCollectionFinder(paths=[str(ROOT / ".collections")])._install()

from stackops_emulator.client import Emulator  # noqa: E402

OUTPUT = ROOT / "tests" / "output"


def _log_path() -> str:
    """tests/output/emulator.log, or emulator-gw<N>.log under pytest-xdist: each worker writes its own."""
    OUTPUT.mkdir(exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return str(OUTPUT / (f"emulator-{worker}.log" if worker else "emulator.log"))


@pytest.fixture(scope="session")
def emulator_session():
    emulator = Emulator.spawn(log_path=_log_path())
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def module_emulator():
    """An emulator of this test module's own, for what a module converges once and its tests only read:
    no other test's ``reset`` empties it, so those tests pass in any order."""
    emulator = Emulator.spawn(log_path=_log_path())
    yield emulator
    emulator.stop()


@pytest.fixture
def emulator(emulator_session):
    """A running emulator, emptied for this test: no resources, no calls logged, no faults."""
    emulator_session.reset()
    return emulator_session


@dataclass
class PlaybookRun:
    rc: int
    output: dict  # the ansible.posix.json callback's document
    stderr: str
    command: list = field(default_factory=list)

    @property
    def stats(self) -> dict:
        return self.output.get("stats", {})

    def changed(self, host=None) -> int:
        hosts = [host] if host else list(self.stats)
        return sum(self.stats[h]["changed"] for h in hosts)

    def failed(self, host=None) -> int:
        hosts = [host] if host else list(self.stats)
        return sum(self.stats[h]["failures"] + self.stats[h]["unreachable"] for h in hosts)

    def results(self, task_name: str, host: str | None = None) -> list:
        """Results of tasks whose name contains ``task_name`` (one per task and host)."""
        found = []
        for play in self.output.get("plays", []):
            for task in play.get("tasks", []):
                if task_name in task["task"]["name"]:
                    for name, result in task["hosts"].items():
                        if host is None or name == host:
                            found.append(result)
        return found

    def result(self, task_name: str, host: str | None = None) -> dict:
        found = self.results(task_name, host)
        assert found, f"no task named like {task_name!r} ran; tasks: {self.task_names()}"
        return found[0]

    def changed_tasks(self) -> list:
        """``host: task`` for every task that reported a change (what an idempotence failure shows)."""
        return [
            f"{host}: {task['task']['name']}"
            for play in self.output.get("plays", [])
            for task in play.get("tasks", [])
            for host, result in task["hosts"].items()
            if result.get("changed")
        ]

    def task_names(self) -> list:
        return [t["task"]["name"] for p in self.output.get("plays", []) for t in p.get("tasks", [])]

    def messages(self, host=None) -> str:
        """Every failure message (of ``host`` only, if given), joined (for asserting on errors)."""
        msgs = []
        for play in self.output.get("plays", []):
            for task in play.get("tasks", []):
                for name, result in task["hosts"].items():
                    if result.get("failed") and host in (None, name):
                        msgs.append(str(result.get("msg", "")))
        return "\n".join(msgs) + (self.stderr if host is None else "")


def run_playbook(
    emulator,
    playbook,
    inventory="inventories/local",
    extra_vars=None,
    check=False,
    diff=False,
    limit=None,
    env=None,
    verbosity=0,
    callback="ansible.posix.json",
) -> PlaybookRun:
    """Run ``ansible-playbook`` from the checkout against ``emulator``; returns the parsed JSON output."""
    command = [str(Path(sys.executable).parent / "ansible-playbook"), str(ROOT / playbook), "-i", str(ROOT / inventory)]
    variables = {"aws_endpoint_url": emulator.url, "aws_access_key": "emulator", "aws_secret_key": "emulator"}
    variables.update(extra_vars or {})
    command += ["-e", json.dumps(variables)]
    if check:
        command.append("--check")
    if diff:
        command.append("--diff")
    if limit:
        command += ["--limit", limit]
    if verbosity:
        command.append("-" + "v" * verbosity)
    environment = dict(os.environ)
    environment.update(emulator.environment())
    environment.update(
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_STDOUT_CALLBACK=callback,
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
    )
    environment.update(env or {})
    completed = subprocess.run(
        command, check=False, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=900
    )
    if callback != "ansible.posix.json":
        return PlaybookRun(completed.returncode, {"raw": completed.stdout}, completed.stderr, command)
    try:
        output = json.loads(completed.stdout)
    except json.JSONDecodeError:
        raise AssertionError(
            f"ansible-playbook printed no JSON (rc {completed.returncode}):\n{completed.stdout}\n{completed.stderr}"
        ) from None
    return PlaybookRun(completed.returncode, output, completed.stderr, command)


@pytest.fixture
def playbook(emulator):
    """``playbook("site.yml", inventory=..., check=...)`` runs against this test's emulator."""

    def run(path, **kwargs):
        return run_playbook(emulator, path, **kwargs)

    return run


# -- bad input: every case of a tier in one ansible-playbook run ----------------------------------------------------------


def case_host(case: str) -> str:
    """An inventory host name for a bad-input case: ``"port out of range"`` -> ``port-out-of-range``."""
    return "".join(c if c.isalnum() else "-" for c in case.lower()).strip("-")


def run_bad_inputs(playbook, cases, directory, inventory="inventories/local", host="local-use1", env=None):
    """Every case of ``cases`` ({case: extra_vars}) as a host of its own in one run of ``playbook``, against an
    emulator of its own (so that its calls are only this run's, whatever else the test module converged).

    Each case's host carries ``host``'s variables (as ``ansible-inventory`` merges them from ``inventory``) with
    the case's on top, the way ``-e`` would put them, and sits in ``host``'s groups. Returns the run and the
    emulator's request log; ``run.messages(case_host(case))`` is what that case's host failed with.
    """
    listed = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(ROOT / inventory), "--list"],
        check=True, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")},
    )  # fmt: skip
    found = json.loads(listed.stdout)
    base = found["_meta"]["hostvars"][host]
    groups = [g for g, members in found.items() if g not in ("_meta", "all") and host in members.get("hosts", [])]
    hosts = {case_host(case): {**base, **variables} for case, variables in cases.items()}
    document = {"all": {"children": {g: {"hosts": hosts} for g in groups} or {"ungrouped": {"hosts": hosts}}}}
    path = Path(directory) / "bad-input.yml"
    path.write_text(json.dumps(document))
    emulator = Emulator.spawn(log_path=_log_path())
    try:
        run = run_playbook(emulator, playbook, inventory=str(path), env={"ANSIBLE_FORKS": "8", **(env or {})})
        return run, emulator.calls()
    finally:
        emulator.stop()
