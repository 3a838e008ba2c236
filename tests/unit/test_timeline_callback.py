"""The timeline callback: the records a real ansible-playbook run leaves, and its helpers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.stackops.platform.plugins.callback import timeline

ROOT = Path(__file__).resolve().parents[2]
SECRET = "hunter2-do-not-log"

RUNBOOK = """
- name: A runbook
  hosts: localhost
  gather_facts: false
  vars:
    runbook_name: rotate
    runbooks_argument_spec:
      service: {type: str, required: true}
      db_admin: {type: str, no_log: true}
  tasks:
    - name: Read something
      ansible.builtin.debug:
        msg: reading {{ service }}
    - name: Change something
      ansible.builtin.command: sleep 0.3
      changed_when: true
    - name: A step that does not apply
      ansible.builtin.debug:
        msg: never
      when: false
    - name: A step that fails and is ignored
      ansible.builtin.fail:
        msg: expected failure
      ignore_errors: true
    - name: A secret step that fails
      ansible.builtin.fail:
        msg: "the secret is {{ db_admin }}"
      no_log: true
"""

PLAIN = """
- name: Not a runbook
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Say hello
      ansible.builtin.debug:
        msg: hello
"""


def _run(tmp_path, text, *extra, env=None):
    playbook = tmp_path / "play.yml"
    playbook.write_text(text)
    environment = dict(os.environ)
    environment.update(
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"),
        STACKOPS_TIMELINE_DIR=str(tmp_path / "records"),
        ANSIBLE_NOCOLOR="1",
    )
    environment.pop("STACKOPS_TIMELINE_RECORD", None)
    environment.update(env or {})
    command = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        str(playbook),
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
        *extra,
    ]
    return subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True, text=True, check=False)


def _records(tmp_path):
    return sorted((tmp_path / "records").glob("*")) if (tmp_path / "records").exists() else []


@pytest.fixture(scope="module")
def runbook_record(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("timeline")
    run = _run(
        tmp_path,
        RUNBOOK,
        "-e",
        json.dumps({"service": "api", "db_admin": SECRET, "api_token": SECRET, "nested": {"password": SECRET}}),
        "-e",
        "awx_user_name=alice",
    )
    assert run.returncode == 2, run.stdout + run.stderr  # the last task fails
    files = _records(tmp_path)
    return run, files


def test_a_runbook_run_leaves_one_markdown_and_one_json_record(runbook_record):
    run, files = runbook_record
    assert [f.suffix for f in files] == [".json", ".md"]
    assert files[0].stem == files[1].stem and "-rotate-" in files[0].stem
    assert f"Timeline: {files[0].with_suffix('')}.md" in run.stderr


def test_the_json_record_has_the_run_and_every_task(runbook_record):
    files = runbook_record[1]
    record = json.loads(files[0].read_text())
    assert record["runbook"] == "rotate"
    assert record["operator"] == "alice"  # AWX's launching user wins over the OS user
    assert record["inventory"] == ["localhost,"]
    assert record["outcome"] == "failed" and record["check_mode"] is False
    assert record["inputs"]["service"] == "api"
    tasks = {t["task"]: t for t in record["tasks"]}
    assert [t["outcome"] for t in record["tasks"]] == ["ok", "changed", "skipped", "ignored", "failed"]
    assert tasks["A step that fails and is ignored"]["message"] == "expected failure"
    change = tasks["Change something"]
    assert change["duration_s"] >= 0.3
    assert change["start"] < change["end"] and change["host"] == "localhost"
    total = sum(t["duration_s"] for t in record["tasks"])
    assert record["duration_s"] >= total
    assert record["started"] <= record["tasks"][0]["start"] and record["ended"] >= record["tasks"][-1]["end"]


def test_secrets_never_reach_the_record(runbook_record):
    files = runbook_record[1]
    record = json.loads(files[0].read_text())
    assert record["inputs"]["db_admin"] == timeline.MASK  # no_log in the runbook's argument spec
    assert record["inputs"]["api_token"] == timeline.MASK  # a credential-like name
    assert record["inputs"]["nested"] == {"password": timeline.MASK}
    assert "message" not in record["tasks"][-1]  # a no_log task's failure message stays out
    for path in files:
        assert SECRET not in path.read_text()


def test_the_markdown_record_is_a_table_of_the_timeline(runbook_record):
    files = runbook_record[1]
    text = files[1].read_text()
    assert text.startswith("# Runbook `rotate`: failed")
    assert "- Operator: alice" in text
    assert '| `service` | `"api"` |' in text
    rows = [line for line in text.splitlines() if line.startswith("| 20")]
    assert len(rows) == 5
    assert "| localhost | Change something | changed |" in rows[1]
    assert "ignored: expected failure" in rows[3]


def test_a_playbook_that_is_not_a_runbook_leaves_no_record(tmp_path):
    run = _run(tmp_path, PLAIN)
    assert run.returncode == 0, run.stderr
    assert _records(tmp_path) == []


def test_record_all_records_any_playbook(tmp_path):
    run = _run(tmp_path, PLAIN, "--check", env={"STACKOPS_TIMELINE_ALL": "true"})
    assert run.returncode == 0, run.stderr
    record = json.loads(next(p for p in _records(tmp_path) if p.suffix == ".json").read_text())
    assert record["runbook"] == "play" and record["check_mode"] is True and record["outcome"] == "ok"


def test_mask_inputs_masks_by_name_and_by_spec():
    masked = timeline.mask_inputs(
        {"image": "api:1", "DB_PASSWORD": "x", "list": [{"secret_arn": "y"}], "admin": "z"},
        "password|secret",
        no_log_names={"admin"},
    )
    assert masked == {
        "image": "api:1",
        "DB_PASSWORD": "********",
        "list": [{"secret_arn": "********"}],
        "admin": "********",
    }


def test_render_markdown_lists_phases_under_their_task():
    record = {
        "runbook": "deploy",
        "outcome": "ok",
        "operator": "bob",
        "inventory": ["inventories/prod"],
        "limit": None,
        "check_mode": False,
        "started": "s",
        "ended": "e",
        "duration_s": 3.0,
        "playbook": "deploy.yml",
        "inputs": {},
        "tasks": [
            {
                "task": "Deploy",
                "host": "h",
                "start": "a",
                "end": "b",
                "duration_s": 2.0,
                "outcome": "changed",
                "phases": [{"phase": "wait", "start": "a", "end": "b", "duration_s": 1.5, "outcome": "ok"}],
            }
        ],
    }
    text = timeline.render_markdown(record)
    assert "| a | b | 1.5 | h | &nbsp;&nbsp;phase `wait` | ok |" in text
    assert "(none)" in text
