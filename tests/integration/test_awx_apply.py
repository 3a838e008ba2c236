"""awx/apply.yml against a stand-in controller: what awx.awx's modules send for awx/controller.yml, that a
second run and ``--check`` send no write, and that credential secrets stay out of the output.

The stand-in answers the few REST routes those modules use (list with filters, create, read, update, a job
template's survey_spec and credentials) the way AWX's API does, and records every request."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CONTROLLER = yaml.safe_load((ROOT / "awx" / "controller.yml").read_text())
SECRET = "wJalrXUtnFEMI-not-a-real-secret"
TOKEN = "kube-bearer-not-a-real-token"
CREDENTIAL_INPUTS = {
    "stackops AWS prod": {"username": "AKIAEXAMPLEPROD", "password": SECRET},
    "stackops Kubernetes prod": {"host": "https://prod.eks.example", "bearer_token": TOKEN, "verify_ssl": True},
    "stackops AWS dev": {"username": "AKIAEXAMPLEDEV", "password": SECRET},
    "stackops Kubernetes dev": {"host": "https://dev.eks.example", "bearer_token": TOKEN, "verify_ssl": True},
    "stackops AWS staging": {"username": "AKIAEXAMPLESTG", "password": SECRET},
    "stackops Kubernetes staging": {"host": "https://stg.eks.example", "bearer_token": TOKEN, "verify_ssl": True},
}
WRITES = ("POST", "PATCH", "PUT", "DELETE")
# A slice of the file for the reruns (each awx.awx module run costs seconds): prod, its converge and one runbook.
SLICE = {
    "controller_inventories": [i for i in CONTROLLER["controller_inventories"] if i["name"] == "stackops prod"],
    "controller_inventory_sources": [
        s for s in CONTROLLER["controller_inventory_sources"] if s["inventory"] == "stackops prod"
    ],
    "controller_credentials": [c for c in CONTROLLER["controller_credentials"] if c["name"].endswith(" prod")],
    "controller_templates": [
        t
        for t in CONTROLLER["controller_templates"]
        if t["name"] in ("stackops prod converge", "stackops prod runbook deploy")
    ],
}
PROD_INPUTS = {k: v for k, v in CREDENTIAL_INPUTS.items() if k.endswith(" prod")}


class Controller:
    """An in-memory AWX API v2."""

    def __init__(self):
        self.objects = {
            "organizations": {1: {"id": 1, "name": "Default"}},
            "credential_types": {
                1: {"id": 1, "name": "Amazon Web Services", "kind": "cloud", "managed": True},
                2: {"id": 2, "name": "OpenShift or Kubernetes API Bearer Token", "kind": "kubernetes", "managed": True},
            },
        }
        self.surveys = {}
        self.associations = {}
        self.requests = []
        self.next_id = 100

    def item(self, kind, found):
        url = f"/api/v2/{kind}/{found['id']}/"
        return {
            **found,
            "type": kind.rstrip("s"),
            "url": url,
            "related": {"survey_spec": url + "survey_spec/", "credentials": url + "credentials/"},
            "summary_fields": {},
        }

    def page(self, items):
        return {"count": len(items), "next": None, "previous": None, "results": items}

    def handle(self, method, path, query, body):
        self.requests.append({"method": method, "path": path, "query": query, "body": body})
        parts = [p for p in path.split("/") if p][2:]  # after api/v2
        if path in ("/api/", "/api/v2/"):
            return 200, {"current_version": "/api/v2/"}
        kind = parts[0]
        store = self.objects.setdefault(kind, {})
        if len(parts) == 1 and method == "GET":
            filters = {k: v for k, v in query.items() if not k.startswith(("or__", "page"))}
            found = [
                self.item(kind, o)
                for o in store.values()
                if all(str(o.get(k)) == v for k, v in filters.items() if k in o or k == "name")
            ]
            return 200, self.page(found)
        if len(parts) == 1 and method == "POST":
            self.next_id += 1
            store[self.next_id] = {"id": self.next_id, **body}
            return 201, self.item(kind, store[self.next_id])
        number = int(parts[1])
        if len(parts) == 2 and method == "GET":
            return 200, self.item(kind, store[number])
        if len(parts) == 2 and method == "PATCH":
            store[number].update(body)
            return 200, self.item(kind, store[number])
        sub = parts[2]
        if sub == "survey_spec":
            if method == "POST":
                self.surveys[(kind, number)] = body
                return 200, {}
            return 200, self.surveys.get((kind, number), {})
        linked = self.associations.setdefault((kind, number, sub), [])
        if method == "POST":
            if body.get("disassociate"):
                linked.remove(body["id"])
            else:
                linked.append(body["id"])
            return 204, None
        return 200, self.page([{"id": i} for i in linked])

    def writes(self):
        return [r for r in self.requests if r["method"] in WRITES]

    def posted(self, kind):
        return [r["body"] for r in self.requests if r["method"] == "POST" and r["path"] == f"/api/v2/{kind}/"]


@pytest.fixture
def controller():
    state = Controller()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self):
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else {}
            status, answer = state.handle(self.command, url.path, dict(parse_qsl(url.query)), body)
            data = b"" if answer is None else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-API-Product-Name", "AWX")
            self.send_header("X-API-Product-Version", "24.6.1")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


def apply(controller, check=False, inputs=None, **extra):
    variables = {
        "controller_host": controller.url,
        "controller_oauthtoken": "test-token",
        "controller_validate_certs": False,
        "awx_project_scm_url": "https://git.example.invalid/stackops.git",
        "awx_credential_inputs": CREDENTIAL_INPUTS if inputs is None else inputs,
        **extra,
    }
    command = [str(Path(sys.executable).parent / "ansible-playbook"), str(ROOT / "awx" / "apply.yml")]
    command += ["-e", json.dumps(variables)] + (["--check"] if check else [])
    environment = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
    }
    done = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=600, check=False)
    try:
        output = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"no JSON (rc {done.returncode}):\n{done.stdout}\n{done.stderr}") from None
    return done.returncode, output, done.stdout + done.stderr


def changed(output):
    return sum(host["changed"] for host in output["stats"].values())


def failures(output):
    return [
        f"{task['task']['name']}: {result.get('msg')}"
        for play in output["plays"]
        for task in play["tasks"]
        for result in [*task["hosts"].values(), *[r for h in task["hosts"].values() for r in h.get("results", [])]]
        if result.get("failed")
    ]


def test_a_first_run_creates_everything_with_surveys_credentials_and_the_ee(controller):
    rc, output, text = apply(controller)
    assert rc == 0, failures(output) or text
    templates = {t["name"]: t for t in CONTROLLER["controller_templates"]}
    posted = {t["name"]: t for t in controller.posted("job_templates")}
    assert set(posted) == set(templates)
    ids = {o["name"]: i for i, o in controller.objects["credentials"].items()}
    inventories = {o["name"]: i for i, o in controller.objects["inventories"].items()}
    (ee_id,) = controller.objects["execution_environments"]
    (project_id,) = controller.objects["projects"]
    surveys = {controller.objects["job_templates"][n]["name"]: s for (_kind, n), s in controller.surveys.items()}
    for name, template in templates.items():
        sent = posted[name]
        assert sent["playbook"] == template["playbook"] and sent["job_type"] == template["job_type"]
        assert sent["inventory"] == inventories[template["inventory"]] and sent["project"] == project_id
        assert sent["execution_environment"] == ee_id
        assert sent["allow_simultaneous"] is template["allow_simultaneous"]
        number = next(i for i, o in controller.objects["job_templates"].items() if o["name"] == name)
        linked = controller.associations[("job_templates", number, "credentials")]
        assert sorted(linked) == sorted(ids[c] for c in template["credentials"])
        if "survey_spec" in template:
            assert sent["survey_enabled"] is True
            assert surveys[name] == template["survey_spec"]
    prod_deploy = surveys["stackops prod runbook deploy"]["spec"]
    assert next(q for q in prod_deploy if q["variable"] == "confirm")["required"] is True
    assert not any(q["variable"] == "confirm" for q in surveys["stackops dev runbook deploy"]["spec"])
    credential = next(c for c in controller.posted("credentials") if c["name"] == "stackops AWS prod")
    assert credential["credential_type"] == 1 and credential["inputs"]["password"] == SECRET
    kube = next(c for c in controller.posted("credentials") if c["name"] == "stackops Kubernetes prod")
    assert kube["credential_type"] == 2 and kube["inputs"]["bearer_token"] == TOKEN
    sources = controller.posted("inventory_sources")
    assert sorted(s["source_path"] for s in sources) == [
        f"inventories/{e}/hosts.yml" for e in ("dev", "prod", "staging")
    ]
    assert all(s["source_project"] == project_id for s in sources)
    assert SECRET not in text and TOKEN not in text


def test_a_second_run_and_check_mode_send_no_write(controller):
    rc, output, _text = apply(controller, inputs=PROD_INPUTS, **SLICE)
    assert rc == 0, failures(output)
    assert len(controller.posted("job_templates")) == 2
    controller.requests.clear()
    # Secrets are not read back: a rerun without them keeps them.
    rc, output, _text = apply(controller, inputs={}, **SLICE)
    assert rc == 0, failures(output)
    assert controller.writes() == [] and changed(output) == 0
    rc, output, _text = apply(controller, check=True, inputs={}, **SLICE)
    assert rc == 0, failures(output)
    assert controller.writes() == [] and changed(output) == 0


def test_check_mode_on_an_empty_controller_writes_nothing_and_says_what_it_would_create(controller):
    rc, output, text = apply(controller, check=True, inputs=PROD_INPUTS, **SLICE)
    assert rc == 0, failures(output) or text
    assert controller.writes() == []
    assert changed(output) > 0
    assert "would all be created by a real run" in text


def test_bad_input_stops_before_any_request(controller):
    rc, _output, text = apply(controller, inputs={"stackops AWS qa": {"username": "x", "password": "y"}})
    assert rc != 0
    assert "awx_credential_inputs: stackops AWS qa is not a credential" in text
    assert controller.requests == []
