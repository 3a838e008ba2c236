# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: timeline
type: notification
short_description: Writes a Markdown and a JSON record of each runbook run, for the incident record
version_added: 0.2.0
description:
  - For every playbook one of whose plays sets the variable C(runbook_name) (every runbook in
    C(playbooks/runbooks/) does), writes two files to O(record_dir) named
    C(<UTC start>-<runbook>-<id>.md) and C(.json) - the runbook, its inputs (the extra vars) with secrets
    masked, the inventory, the operator, every task with its host, start, end, duration and outcome
    (ok, changed, failed, skipped, unreachable, ignored), the phases a procedure module returned, and the
    total duration and outcome of the run.
  - The record is rewritten after every task, so a run that is killed mid-way still leaves a record of
    what it did up to then (the task it was in shows as C(running)).
  - Inputs whose name looks like a credential (O(mask_pattern)), inputs the runbook's
    C(runbooks_argument_spec) marks C(no_log), and the results of C(no_log) tasks never reach the record.
  - Before the first task runs the callback puts the record's path (without extension) in the environment
    variable C(STACKOPS_TIMELINE_RECORD), so the runbook's summary can print where the record is.
  - Enable it with C(callbacks_enabled = stackops.platform.timeline) in C(ansible.cfg) (this collection's
    C(ansible.cfg) does) or C(ANSIBLE_CALLBACKS_ENABLED=stackops.platform.timeline). Playbooks that are not
    runbooks are left alone unless O(record_all) is set.
requirements:
  - enable in configuration
options:
  record_dir:
    description: The directory the records go to (made if missing). Relative paths are relative to the working directory.
    type: path
    default: ./runbook-records/
    env:
      - name: STACKOPS_TIMELINE_DIR
    ini:
      - section: callback_timeline
        key: record_dir
  record_all:
    description: Record every playbook, not only runbooks.
    type: bool
    default: false
    env:
      - name: STACKOPS_TIMELINE_ALL
    ini:
      - section: callback_timeline
        key: record_all
  mask_pattern:
    description: A case-insensitive regular expression; inputs whose name matches it are recorded as C(********).
    type: str
    default: password|passw|secret|token|credential|private_key|api_key|access_key|session_key|confirm_code
    env:
      - name: STACKOPS_TIMELINE_MASK_PATTERN
    ini:
      - section: callback_timeline
        key: mask_pattern
"""

EXAMPLES = r"""
# ansible.cfg (this collection's enables it already)
# [defaults]
# callbacks_enabled = stackops.platform.timeline
# [callback_timeline]
# record_dir = /var/log/runbooks

# or for one run:
# ANSIBLE_CALLBACKS_ENABLED=stackops.platform.timeline STACKOPS_TIMELINE_DIR=/tmp/records \
#   ansible-playbook playbooks/runbooks/deploy.yml -i inventories/prod -e service=api -e tag=1.4.3 -e confirm=api

# A play is a runbook when it sets runbook_name:
# - name: Deploy a service
#   hosts: all
#   vars:
#     runbook_name: deploy
"""

import datetime  # noqa: E402
import getpass  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

from ansible import context  # noqa: E402
from ansible.plugins.callback import CallbackBase  # noqa: E402

MASK = "********"
RECORD_ENV = "STACKOPS_TIMELINE_RECORD"
# Who ran it: AWX/Automation Controller passes the launching user as an extra var; else the OS user.
OPERATOR_VARS = ("awx_user_name", "tower_user_name")
# Connection settings the inventory or the command line sets: not runbook inputs.
SKIPPED_INPUTS = ("ansible_", "aws_endpoint_url")
NO_LOG_MESSAGE = "the output has been hidden due to the fact that 'no_log: true' was specified for this result"


def _now():
    return datetime.datetime.now(datetime.timezone.utc)  # noqa: UP017 (Python < 3.11 controllers)


def _iso(moment):
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def mask_inputs(values, pattern, no_log_names=()):
    """``values`` with every key matching ``pattern`` (or listed in ``no_log_names``) masked, recursively."""
    matcher = re.compile(pattern, re.IGNORECASE) if pattern else None

    def walk(value, name=None):
        if name is not None and (name in no_log_names or (matcher and matcher.search(str(name)))):
            return MASK
        if isinstance(value, dict):
            return {str(k): walk(v, k) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [walk(v) for v in value]
        if isinstance(value, (str, int, float, bool)) or value is None:
            return value
        return str(value)

    return walk(dict(values))


def _plain(value):
    """A JSON-safe copy (Ansible's tagged strings and other wrappers become plain values)."""
    return json.loads(json.dumps(value, default=str))


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "stackops.platform.timeline"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None):
        super().__init__(display=display)
        self.record = None
        self.path = None
        self._started = None
        self._open = {}  # (task uuid, host) -> entry still running
        self._task_started = {}  # task uuid -> (wall clock, monotonic)
        self._playbook = None

    # -- life cycle ------------------------------------------------------------------------------------------

    def set_options(self, task_keys=None, var_options=None, direct=None):
        super().set_options(task_keys=task_keys, var_options=var_options, direct=direct)

    def v2_playbook_on_start(self, playbook):
        self._playbook = playbook
        self._started = (_now(), time.monotonic())

    def v2_playbook_on_play_start(self, play):
        play_vars = getattr(play, "vars", None) or {}
        name = play_vars.get("runbook_name")
        if self.record is None and (name or self.get_option("record_all")):
            self._begin(play, str(name) if name else None)
        if self.record is not None:
            self.record["plays"].append(str(play.get_name()))
            self._write()

    def _begin(self, play, runbook):
        playbook_file = getattr(self._playbook, "_file_name", None) or "playbook"
        runbook = runbook or os.path.splitext(os.path.basename(playbook_file))[0]
        extra_vars = {}
        manager = play.get_variable_manager() if hasattr(play, "get_variable_manager") else None
        if manager is not None:
            extra_vars = dict(manager.extra_vars)
        spec = (getattr(play, "vars", None) or {}).get("runbooks_argument_spec") or {}
        no_log_names = {k for k, v in spec.items() if isinstance(v, dict) and v.get("no_log")}
        operator = next((str(extra_vars[k]) for k in OPERATOR_VARS if extra_vars.get(k)), None)
        if operator is None:
            try:
                operator = getpass.getuser()
            except (KeyError, OSError):
                operator = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
        inputs = {k: v for k, v in extra_vars.items() if not str(k).startswith(SKIPPED_INPUTS)}
        started_at = (self._started or (_now(), time.monotonic()))[0]
        run_id = uuid.uuid4().hex[:8]
        directory = os.path.abspath(os.path.expanduser(self.get_option("record_dir")))
        stamp = started_at.strftime("%Y%m%dT%H%M%SZ")
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", runbook)
        self.path = os.path.join(directory, f"{stamp}-{safe}-{run_id}")
        self.record = {
            "runbook": runbook,
            "playbook": os.path.abspath(playbook_file),
            "run_id": run_id,
            "operator": operator,
            "inventory": [str(i) for i in (context.CLIARGS.get("inventory") or ())],
            "limit": context.CLIARGS.get("subset"),
            "check_mode": bool(context.CLIARGS.get("check")),
            "inputs": _plain(mask_inputs(inputs, self.get_option("mask_pattern"), no_log_names)),
            "started": _iso(started_at),
            "ended": None,
            "duration_s": None,
            "outcome": "running",
            "plays": [],
            "tasks": [],
        }
        os.environ[RECORD_ENV] = self.path  # workers fork from this process: the summary task can read it
        self._write()

    # -- tasks -----------------------------------------------------------------------------------------------

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task_started[task._uuid] = (_now(), time.monotonic())

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def v2_runner_on_start(self, host, task):
        if self.record is None:
            return
        wall, mono = _now(), time.monotonic()
        entry = {
            "task": str(task.get_name()),
            "host": str(host.get_name()),
            "start": _iso(wall),
            "end": None,
            "duration_s": None,
            "outcome": "running",
        }
        entry["_mono"] = mono
        self._open[(task._uuid, entry["host"])] = entry
        self.record["tasks"].append(entry)
        self._write()

    def _finish(self, result, outcome):
        if self.record is None:
            return
        task, host = result._task, result._host.get_name()
        entry = self._open.pop((task._uuid, str(host)), None)
        if entry is None:  # no v2_runner_on_start (e.g. a loop item after the first): start with the task
            wall, mono = self._task_started.get(task._uuid, (_now(), time.monotonic()))
            entry = {"task": str(task.get_name()), "host": str(host), "start": _iso(wall), "_mono": mono}
            self.record["tasks"].append(entry)
        values = result._result if isinstance(result._result, dict) else {}
        if outcome == "ok" and values.get("changed"):
            outcome = "changed"
        entry["end"] = _iso(_now())
        entry["duration_s"] = round(time.monotonic() - entry.pop("_mono"), 3)
        entry["outcome"] = outcome
        censored = task.no_log or values.get("_ansible_no_log") or values.get("censored") == NO_LOG_MESSAGE
        if not censored:
            if outcome in ("failed", "ignored", "unreachable") and values.get("msg"):
                entry["message"] = _plain(str(values["msg"])[:500])
            if isinstance(values.get("phases"), list):
                entry["phases"] = _plain(values["phases"])
        self._write()

    def v2_runner_on_ok(self, result):
        self._finish(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._finish(result, "ignored" if ignore_errors else "failed")

    def v2_runner_on_skipped(self, result):
        self._finish(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._finish(result, "unreachable")

    # -- the end ---------------------------------------------------------------------------------------------

    def v2_playbook_on_stats(self, stats):
        if self.record is None:
            return
        ended = _now()
        failures = sum(stats.failures.values()) + sum(stats.dark.values())
        self.record["ended"] = _iso(ended)
        self.record["duration_s"] = round(time.monotonic() - self._started[1], 3) if self._started else None
        self.record["outcome"] = "failed" if failures else "ok"
        for entry in self._open.values():
            entry.pop("_mono", None)
            entry["outcome"] = "interrupted"
        self._write()
        # stderr: stdout may be a machine-read document (the ansible.posix.json callback, AWX event parsing)
        self._display.display(f"Timeline: {self.path}.md (and .json)", stderr=True)

    # -- files -----------------------------------------------------------------------------------------------

    def _write(self):
        if self.record is None:
            return
        record = dict(self.record)
        record["tasks"] = [{k: v for k, v in t.items() if not k.startswith("_")} for t in self.record["tasks"]]
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            for suffix, text in (
                (".json", json.dumps(record, indent=2, default=str)),
                (".md", render_markdown(record)),
            ):
                temporary = f"{self.path}{suffix}.tmp"
                with open(temporary, "w", encoding="utf-8") as handle:
                    handle.write(text + "\n")
                os.replace(temporary, self.path + suffix)
        except OSError as error:
            self._display.warning(f"timeline: could not write {self.path}: {error}")


def _cell(value):
    return str(value if value is not None else "").replace("|", "\\|").replace("\n", " ")


def render_markdown(record):
    """The record as Markdown: a header, the inputs, a table of tasks (and their phases), the total."""
    lines = [
        f"# Runbook `{record['runbook']}`: {record['outcome']}",
        "",
        f"- Operator: {record['operator']}",
        f"- Inventory: {', '.join(record['inventory']) or '-'}"
        + (f" (limit {record['limit']})" if record["limit"] else ""),
        f"- Check mode (dry run): {'yes' if record['check_mode'] else 'no'}",
        f"- Started: {record['started']}",
        f"- Ended: {record['ended'] or '-'}",
        f"- Total: {record['duration_s'] if record['duration_s'] is not None else '-'} s",
        f"- Playbook: `{record['playbook']}`",
        "",
        "## Inputs",
        "",
    ]
    if record["inputs"]:
        lines += ["| Input | Value |", "| --- | --- |"]
        lines += [
            f"| `{_cell(k)}` | `{_cell(json.dumps(v, default=str))}` |" for k, v in sorted(record["inputs"].items())
        ]
    else:
        lines.append("(none)")
    lines += [
        "",
        "## Timeline",
        "",
        "| Start | End | Duration (s) | Host | Task | Outcome |",
        "| --- | --- | ---: | --- | --- | --- |",
    ]
    for task in record["tasks"]:
        outcome = task.get("outcome", "")
        if task.get("message"):
            outcome = f"{outcome}: {task['message']}"
        lines.append(
            f"| {_cell(task.get('start'))} | {_cell(task.get('end'))} | {_cell(task.get('duration_s'))} "
            f"| {_cell(task.get('host'))} | {_cell(task.get('task'))} | {_cell(outcome)} |"
        )
        for phase in task.get("phases") or []:
            lines.append(
                f"| {_cell(phase.get('start'))} | {_cell(phase.get('end'))} | {_cell(phase.get('duration_s'))} "
                f"| {_cell(task.get('host'))} | &nbsp;&nbsp;phase `{_cell(phase.get('phase'))}` "
                f"| {_cell(phase.get('outcome'))} |"
            )
    return "\n".join(lines)
