"""awx/controller.yml (the AWX job templates) against what it is generated from: each runbook's argument spec
(the play variable runbooks_argument_spec its validate step checks) and the environments of inventories/.

The expectations here are written out independently of awx/generate.py's rules, so a survey that disagrees
with its spec fails whether the generator or the committed file is wrong (e.g. the file is stale)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

ROOT = Path(__file__).resolve().parents[2]
CONTROLLER = ROOT / "awx" / "controller.yml"
RUNBOOK_FILES = sorted((ROOT / "playbooks" / "runbooks").glob("*.yml"))
ENVIRONMENTS = {"dev": False, "staging": False, "prod": True}  # name: protected (platform_protected_environments)
EKS = {"dev", "staging", "prod"}
TYPES = {"str": "text", "path": "text", "int": "integer", "float": "float", "bool": "multiplechoice", "raw": "text"}


def load_generator():
    spec = importlib.util.spec_from_file_location("awx_generate", ROOT / "awx" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def controller():
    return yaml.safe_load(CONTROLLER.read_text())


def templates_by_name(controller):
    return {t["name"]: t for t in controller["controller_templates"]}


def spec_of(path):
    plays = [p for p in yaml.safe_load(path.read_text()) if "runbook_name" in (p.get("vars") or {})]
    assert plays, f"{path.name}: no play sets runbook_name"
    spec = {}
    for play in plays:
        assert isinstance(play["vars"].get("runbooks_argument_spec"), dict), f"{path.name}: no runbooks_argument_spec"
        spec.update(play["vars"]["runbooks_argument_spec"])
    return plays[0]["vars"]["runbook_name"], spec, plays


def disagreements(survey, spec, protected):
    """Every way a survey differs from its runbook's argument spec (empty when they agree)."""
    problems = []
    questions = {q["variable"]: q for q in survey["spec"]}
    wanted = {name for name in spec if name != "confirm" or protected}
    if set(questions) != wanted:
        problems.append(f"questions {sorted(questions)} != spec options {sorted(wanted)}")
    for name in wanted & set(questions):
        option, q = spec[name], questions[name]
        kind = option.get("type", "str")
        if q["question_name"] != name:
            problems.append(f"{name}: question_name {q['question_name']!r}")
        if q["question_description"] != str(option.get("description", "")):
            problems.append(f"{name}: description {q['question_description']!r} != {option.get('description')!r}")
        required = True if name == "confirm" else bool(option.get("required"))
        if q["required"] != required:
            problems.append(f"{name}: required {q['required']} != {required}")
        want_type = "password" if option.get("no_log") else ("multiplechoice" if option.get("choices") else None)
        want_type = want_type or TYPES.get(kind, "textarea")
        if q["type"] != want_type:
            problems.append(f"{name}: type {q['type']} != {want_type} ({kind})")
        choices = ["true", "false"] if kind == "bool" else [str(c) for c in option.get("choices") or []]
        if q.get("choices", []) != choices:
            problems.append(f"{name}: choices {q.get('choices')} != {choices}")
        if "default" in option:
            default = option["default"]
            want = (
                ("true" if default else "false")
                if kind == "bool"
                else default
                if kind in ("int", "float")
                else ",".join(str(v) for v in default)
                if kind == "list"
                else str(default)
            )
            if q.get("default") != want:
                problems.append(f"{name}: default {q.get('default')!r} != {want!r}")
    return problems


def test_the_committed_file_is_what_the_generator_writes_now():
    assert load_generator().render() == CONTROLLER.read_text(), (
        "awx/controller.yml is stale: .venv/bin/python awx/generate.py"
    )


@pytest.mark.parametrize("path", RUNBOOK_FILES, ids=lambda p: p.stem)
def test_every_runbook_has_a_template_per_environment_whose_survey_matches_its_spec(controller, path):
    name, spec, _plays = spec_of(path)
    found = templates_by_name(controller)
    for environment, protected in ENVIRONMENTS.items():
        template = found[f"stackops {environment} runbook {name}"]
        assert template["playbook"] == f"playbooks/runbooks/{path.name}"
        assert template["survey_enabled"] is True and template["ask_variables_on_launch"] is False
        assert template["allow_simultaneous"] is False
        assert template["ask_job_type_on_launch"] is True  # check mode from the launch dialog: the dry run
        assert disagreements(template["survey_spec"], spec, protected) == []
        if "confirm" in spec:
            questions = {q["variable"]: q for q in template["survey_spec"]["spec"]}
            assert ("confirm" in questions) is protected
            if protected:
                assert questions["confirm"]["required"] is True


@pytest.mark.parametrize("path", RUNBOOK_FILES, ids=lambda p: p.stem)
def test_the_runbook_validates_its_inputs_with_that_spec(path):
    """The survey follows runbooks_argument_spec only if the runbook checks its inputs against it."""
    _name, _spec, plays = spec_of(path)
    first = plays[0]["tasks"][0]
    via_role = first.get("ansible.builtin.include_role", {}) == {
        "name": "stackops.platform.runbooks",
        "tasks_from": "validate",
    }
    direct = (
        first.get("ansible.builtin.validate_argument_spec", {}).get("argument_spec") == "{{ runbooks_argument_spec }}"
    )
    assert via_role or direct, f"{path.name}: the first task does not validate with runbooks_argument_spec: {first}"


@pytest.mark.parametrize("path", RUNBOOK_FILES, ids=lambda p: p.stem)
def test_survey_answers_pass_the_runbooks_validation(controller, path):
    """What AWX sends from a survey (its defaults, a value for each required question) passes the spec."""
    name, spec, _plays = spec_of(path)
    template = templates_by_name(controller)[f"stackops prod runbook {name}"]
    samples = {"text": "api", "integer": 3, "float": 1.5, "textarea": "a,b", "password": "x"}
    answers = {}
    for q in template["survey_spec"]["spec"]:
        if "default" in q:
            answers[q["variable"]] = q["default"]
        elif q["required"]:
            answers[q["variable"]] = q["choices"][0] if q.get("choices") else samples[q["type"]]
    result = ArgumentSpecValidator(spec).validate(json.loads(json.dumps(answers)))
    assert result.error_messages == []


def test_a_changed_spec_is_caught(controller):
    """The comparison fails on a default, a required flag or a question that drifted from the spec."""
    _name, spec, _plays = spec_of(ROOT / "playbooks" / "runbooks" / "deploy.yml")
    survey = templates_by_name(controller)["stackops prod runbook deploy"]["survey_spec"]
    assert disagreements(survey, spec, True) == []
    drifted = {**spec, "wait_timeout": {**spec["wait_timeout"], "default": 900}}
    assert disagreements(survey, drifted, True) == ["wait_timeout: default 600 != 900"]
    drifted = {**spec, "surge": {"type": "int"}}
    assert "questions" in disagreements(survey, drifted, True)[0]
    assert disagreements(survey, spec, False) != []  # prod's confirm question on an unprotected environment


def test_a_spec_the_generator_cannot_read_is_refused():
    generate = load_generator()
    book = {"playbook": "playbooks/runbooks/x.yml", "play_vars": {}}
    environment = {"protected": True, "variables": {}}
    with pytest.raises(generate.SpecError, match="unknown key"):
        generate.question(
            "kube_namespace", {"type": "str", "description": "EKS only", "the namespace": None}, book, environment
        )


def test_environments_get_converge_check_and_status_templates_with_credentials_and_the_ee(controller):
    found = templates_by_name(controller)
    credentials = {c["name"]: c for c in controller["controller_credentials"]}
    ee = [e["name"] for e in controller["controller_execution_environments"]]
    inventories = {i["name"] for i in controller["controller_inventories"]}
    sources = {s["inventory"]: s for s in controller["controller_inventory_sources"]}
    for environment in ENVIRONMENTS:
        converge, check = found[f"stackops {environment} converge"], found[f"stackops {environment} converge (check)"]
        status = found[f"stackops {environment} status"]
        assert converge["playbook"] == check["playbook"] == "site.yml"
        assert (converge["job_type"], check["job_type"], check["diff_mode"]) == ("run", "check", True)
        assert status["playbook"] == "playbooks/status.yml"
        assert sources[f"stackops {environment}"]["source_path"] == f"inventories/{environment}/hosts.yml"
        assert f"stackops {environment}" in inventories
        for template in (t for t in found.values() if t["inventory"] == f"stackops {environment}"):
            assert template["execution_environment"] in ee
            assert f"stackops AWS {environment}" in template["credentials"]
            assert credentials[f"stackops AWS {environment}"]["credential_type"] == "Amazon Web Services"
            if environment in EKS:
                assert credentials[template["credentials"][1]]["credential_type"] == (
                    "OpenShift or Kubernetes API Bearer Token"
                )
    runbooks = {spec_of(p)[0] for p in RUNBOOK_FILES}
    assert len(found) == len(ENVIRONMENTS) * (3 + len(runbooks))
