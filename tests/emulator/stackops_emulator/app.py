"""The emulator's WSGI application: moto's dispatcher wrapped with accounting, faults and behaviours.

Every signed AWS request is identified (service, operation, read or write), recorded, possibly failed by
the fault injector, then passed through the behaviours (which may answer it themselves, or change what
moto does) and finally to moto. Requests to ``/_stackops/*`` are the control API (see README.md).
"""

from __future__ import annotations

import io
import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass
from dataclasses import field

from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.moto_server.werkzeug_app import create_backend_app
from werkzeug.test import Client
from werkzeug.wrappers import Request as WerkzeugRequest

from . import CONTROL_PREFIX
from .behaviours import all_behaviours
from .protocols import Call
from .protocols import Response
from .protocols import error_response
from .protocols import identify
from .protocols import throttling_code


@dataclass
class Request:
    environ: dict
    body: bytes
    call: Call
    params: dict = field(default_factory=dict)  # query-protocol parameters, when the protocol has them


@dataclass
class FaultConfig:
    """What the fault injector does. Rates are probabilities per matching call, drawn from a seeded RNG."""

    throttle_rate: float = 0.0  # answer with the service's throttling error, before the call reaches moto
    error_rate: float = 0.0  # answer with an error (500 InternalError by default), before the call reaches moto
    error_status: int = 500  # e.g. 400 with error_code "ValidationException": a refusal clients do not retry
    error_code: str = "InternalError"
    services: list = field(default_factory=list)  # only these signing names (empty: all)
    operations: list = field(default_factory=list)  # only these operations (empty: all)
    regions: list = field(default_factory=list)  # only calls signed for these regions (empty: all): a region outage
    lost_responses: dict = field(default_factory=dict)  # {"CreateNatGateway": n}: do the next n, answer 500
    seed: int = 0

    def matches(self, call: Call) -> bool:
        return (
            (not self.services or call.service in self.services)
            and (not self.operations or call.operation in self.operations)
            and (not self.regions or call.region in self.regions)
        )


class EmulatorApp:
    def __init__(self):
        self.moto = DomainDispatcherApplication(create_backend_app)
        self.lock = threading.Lock()
        self.calls: list[dict] = []
        self.faults = FaultConfig()
        self.rng = random.Random(0)
        self.behaviours = all_behaviours()

    # -- control API -------------------------------------------------------------------------------------

    def reset(self):
        Client(self.moto).post("/moto-api/reset")
        with self.lock:
            self.calls.clear()
            self.faults = FaultConfig()
            self.rng = random.Random(0)
        for behaviour in self.behaviours:
            behaviour.reset()

    def summary(self) -> dict:
        with self.lock:
            calls = list(self.calls)
        answered = [c for c in calls if not c["fault"]]
        return {
            "calls": calls,
            "reads": sum(1 for c in answered if c["kind"] == "read"),
            "writes": sum(1 for c in answered if c["kind"] == "write"),
            "faults": sum(1 for c in calls if c["fault"]),
            "by_operation": dict(Counter(f"{c['service']}:{c['operation']}" for c in answered)),
        }

    def _control(self, environ, start_response):
        request = WerkzeugRequest(environ)
        route = request.path[len(CONTROL_PREFIX) :].strip("/")
        method = request.method
        if route == "health":
            payload = {"ok": True}
        elif route == "reset" and method == "POST":
            self.reset()
            payload = {"reset": True}
        elif route == "calls" and method == "GET":
            payload = self.summary()
        elif route == "calls" and method == "DELETE":
            with self.lock:
                self.calls.clear()
            payload = {"cleared": True}
        elif route == "faults" and method == "PUT":
            config = FaultConfig(**json.loads(request.get_data() or b"{}"))
            with self.lock:
                self.faults = config
                self.rng = random.Random(config.seed)
            payload = config.__dict__
        elif route == "faults" and method == "GET":
            payload = self.faults.__dict__
        elif route in ("kube/rollouts", "kube/calls"):
            payload = self._kube_control(route, method, request.get_data())
            if payload is None:
                start_response("400 Bad Request", [("Content-Type", "application/json")])
                return [json.dumps({"error": f"bad {route} request"}).encode()]
        elif route.startswith("behaviours/"):
            # Settings of one behaviour (timings, images marked bad...): GET shows them, PUT changes them.
            name = route.split("/", 1)[1]
            behaviour = next((b for b in self.behaviours if b.name == name and hasattr(b, "configure")), None)
            if behaviour is None:
                start_response("404 Not Found", [("Content-Type", "application/json")])
                return [json.dumps({"error": f"no configurable behaviour {name!r}"}).encode()]
            try:
                payload = behaviour.configure(json.loads(request.get_data() or b"{}") if method == "PUT" else {})
            except (TypeError, ValueError) as error:
                start_response("400 Bad Request", [("Content-Type", "application/json")])
                return [json.dumps({"error": str(error)}).encode()]
        elif route == "behaviours":
            payload = [
                {"name": b.name, "documented_by": b.documented_by, "summary": b.summary} for b in self.behaviours
            ]
        else:
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [json.dumps({"error": f"no control route {method} {request.path}"}).encode()]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(payload, default=str).encode()]

    @staticmethod
    def _kube_control(route, method, body):
        """The Kubernetes fake's rollout timings and request log (the fake starts on first use)."""
        from .kube import get_fake

        fake = get_fake()
        if route == "kube/calls":
            return fake.handle(method if method == "DELETE" else "GET", "/_stackops/calls", {}, b"")[1]
        code, answer = fake.handle("PUT" if method == "PUT" else "GET", "/_stackops/rollouts", {}, body or b"{}")
        return answer if code == 200 else None

    # -- AWS requests --------------------------------------------------------------------------------------

    def _forward(self, request: Request) -> Response:
        environ = dict(request.environ)
        environ["wsgi.input"] = io.BytesIO(request.body)
        environ["CONTENT_LENGTH"] = str(len(request.body))
        captured = {}

        def start_response(status, headers, exc_info=None):
            captured["status"] = int(status.split(" ", 1)[0])
            captured["headers"] = headers

        chunks = self.moto(environ, start_response)
        try:
            body = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        return Response(captured["status"], captured["headers"], body)

    def _pick_fault(self, call: Call):
        with self.lock:
            faults = self.faults
            if not faults.matches(call):
                return None
            if faults.lost_responses.get(call.operation, 0) > 0:
                faults.lost_responses[call.operation] -= 1
                return "lost_response"
            draw = self.rng.random()
        if draw < faults.throttle_rate:
            return "throttle"
        if draw < faults.throttle_rate + faults.error_rate:
            return "error"
        return None

    def handle(self, request: Request) -> tuple[Response, str | None]:
        call = request.call
        fault = self._pick_fault(call)
        if fault == "throttle":
            status, code = throttling_code(call)
            return error_response(call, status, code, "Rate exceeded (emulator fault)"), fault
        if fault == "error":
            faults = self.faults
            return error_response(call, faults.error_status, faults.error_code, "Injected (emulator fault)"), fault

        def chain(index: int):
            if index == len(self.behaviours):
                return self._forward
            behaviour, following = self.behaviours[index], chain(index + 1)
            return lambda req: behaviour(req, following)

        response = chain(0)(request)
        if fault == "lost_response":
            # The call took effect, but the client never hears so: what an idempotency guard must survive.
            return error_response(call, 500, "InternalError", "Response lost (emulator fault)"), fault
        return response, None

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX):
            return self._control(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = WerkzeugRequest(environ).headers
        call = identify(environ.get("REQUEST_METHOD", "GET"), path, environ.get("QUERY_STRING", ""), headers, body)
        if call is None:  # unsigned: moto's own API (/moto-api/...) or a presigned URL
            environ["wsgi.input"] = io.BytesIO(body)
            return self.moto(environ, start_response)

        started = time.monotonic()
        response, fault = self.handle(Request(environ, body, call))
        with self.lock:
            self.calls.append(
                {
                    "service": call.service,
                    "operation": call.operation,
                    "kind": call.kind,
                    "region": call.region,
                    "status": response.status,
                    "fault": fault,
                    "ms": round((time.monotonic() - started) * 1000, 1),
                }
            )
        start_response(f"{response.status} {_REASONS.get(response.status, 'Status')}", response.headers)
        return [response.body]


_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 500: "Internal Server Error", 503: "Service Unavailable"}
