"""OpenSearch domains are ``Processing`` for a while after a change, and UpgradeDomain upgrades the engine.

AWS: after CreateDomain or UpdateDomainConfig a domain reports ``Processing: true`` until the change (a
blue/green deployment) is done; UpgradeDomain starts an in-place engine upgrade to a later version
(``UpgradeProcessing: true`` meanwhile) and refuses a version that is not a later one
(https://docs.aws.amazon.com/opensearch-service/latest/APIReference/API_DomainStatus.html,
https://docs.aws.amazon.com/opensearch-service/latest/APIReference/API_UpgradeDomain.html,
https://docs.aws.amazon.com/opensearch-service/latest/developerguide/version-migration.html).

moto 5.2 answers every domain as done at once and does not implement UpgradeDomain (404). This behaviour
shows ``Processing`` / ``UpgradeProcessing`` for a short while after each change
(``STACKOPS_EMULATOR_OPENSEARCH_SECONDS``, default 0.5 s) and answers UpgradeDomain on moto's domain object.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import uuid

from ..protocols import Response
from ..protocols import error_response

ACCOUNT = "123456789012"
_DOMAIN_PATH = re.compile(r"/2021-01-01/opensearch/domain/([^/]+)")


def _version(text):
    return tuple(int(p) for p in str(text).split("_", 1)[-1].split(".") if p.isdigit())


def _json(status, payload):
    body = json.dumps(payload).encode()
    return Response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))], body)


class OpenSearchDomainProcessing:
    name = "opensearch-domain-processing"
    summary = "Domains are Processing for a moment after a change; UpgradeDomain upgrades the engine version"
    documented_by = "https://docs.aws.amazon.com/opensearch-service/latest/APIReference/API_UpgradeDomain.html"

    def __init__(self):
        self.lock = threading.Lock()
        self.pending = {}  # (region, domain) -> [kind, deadline, seen]; kind: processing | upgrade

    def reset(self):
        with self.lock:
            self.pending.clear()

    @staticmethod
    def seconds():
        return float(os.environ.get("STACKOPS_EMULATOR_OPENSEARCH_SECONDS", "0.5"))

    @staticmethod
    def _domains(region):
        from moto.opensearch.models import opensearch_backends

        return opensearch_backends[ACCOUNT][region].domains

    def _mark(self, region, name, kind):
        with self.lock:
            self.pending[(region, name)] = [kind, time.monotonic() + self.seconds(), False]

    def _state(self, region, name, seen=False):
        """``processing``, ``upgrade`` or None. A change lasts its time and until one describe has shown it
        (so that a client's wait always sees it, however slow the machine)."""
        with self.lock:
            entry = self.pending.get((region, name))
            if entry and entry[2] and entry[1] <= time.monotonic():
                del self.pending[(region, name)]
                entry = None
            if entry and seen:
                entry[2] = True
        return entry[0] if entry else None

    def __call__(self, request, forward):
        call = request.call
        if call.service != "es":
            return forward(request)
        path = request.environ.get("PATH_INFO", "")
        if call.operation == "UpgradeDomain":
            return self._upgrade(request)
        if call.operation in ("CreateDomain", "UpdateDomainConfig"):
            response = forward(request)
            if response.ok:
                if call.operation == "CreateDomain":
                    name = json.loads(request.body or b"{}").get("DomainName")
                else:
                    match = _DOMAIN_PATH.search(path)
                    name = match.group(1) if match else None
                if name:
                    self._mark(call.region, name, "processing")
            return response
        if call.operation == "DescribeDomain":
            response = forward(request)
            match = _DOMAIN_PATH.search(path)
            if not response.ok or not match:
                return response
            state = self._state(call.region, match.group(1), seen=True)
            if state is None:
                return response
            payload = json.loads(response.body)
            payload["DomainStatus"]["Processing" if state == "processing" else "UpgradeProcessing"] = True
            return _json(response.status, payload)
        return forward(request)

    def _upgrade(self, request):
        call = request.call
        body = json.loads(request.body or b"{}")
        name, target = body.get("DomainName"), body.get("TargetVersion", "")
        domain = self._domains(call.region).get(name)
        if domain is None:
            return error_response(call, 409, "ResourceNotFoundException", f"Domain not found: {name}")
        current = domain.engine_version.options
        if not target.startswith("OpenSearch_") or _version(target) <= _version(current):
            return error_response(
                call, 400, "ValidationException", f"{target} is not a version {name} ({current}) can upgrade to"
            )
        if self._state(call.region, name) is not None:
            return error_response(call, 409, "ConflictException", f"Domain {name} is being changed; try again later")
        if not body.get("PerformCheckOnly"):
            domain.engine_version.options = target
            self._mark(call.region, name, "upgrade")
        return _json(
            200,
            {
                "UpgradeId": str(uuid.uuid4()),
                "DomainName": name,
                "TargetVersion": target,
                "PerformCheckOnly": bool(body.get("PerformCheckOnly")),
                "AdvancedOptions": body.get("AdvancedOptions", {}),
            },
        )
