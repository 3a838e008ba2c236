# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""A Deployment as a rollout reads it: its revision, images and rollout state (as ``kubectl rollout status``
decides it), the summary kube_rollout returns, and the few API calls a rollout makes."""

from __future__ import annotations

import copy
import json

try:
    from urllib3.exceptions import HTTPError as Urllib3Error
except ImportError:  # pragma: no cover - urllib3 comes with the kubernetes client

    class Urllib3Error(Exception):
        pass


from ..platform import PlatformError
from .apply import ApiException

REVISION = "deployment.kubernetes.io/revision"
HASH_LABEL = "pod-template-hash"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
ROLLED_BACK = "stackops.platform/rolled-back"
DEADLINE_REASON = "ProgressDeadlineExceeded"
ACTIONS = ("set_image", "rollback", "scale", "restart", "status")
CONFLICT_RETRIES = 3


def images_of(template):
    pod = (template or {}).get("spec") or {}
    return {c["name"]: c.get("image") for c in pod.get("containers") or []}


def revision_of(obj):
    try:
        return int(((obj.get("metadata") or {}).get("annotations") or {}).get(REVISION, 0))
    except (TypeError, ValueError):
        return 0


def without_hash(template):
    template = copy.deepcopy(template or {})
    labels = (template.get("metadata") or {}).get("labels")
    if labels is not None:
        labels.pop(HASH_LABEL, None)
    return template


def rollout_state(deployment):
    """("complete" | "progressing" | "failed", why), as ``kubectl rollout status`` decides it."""
    metadata, spec, status = (
        deployment.get("metadata") or {},
        deployment.get("spec") or {},
        deployment.get("status") or {},
    )
    name = metadata.get("name")
    if status.get("observedGeneration", 0) < metadata.get("generation", 1):
        return "progressing", f"waiting for the controller to observe generation {metadata.get('generation', 1)}"
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Progressing" and condition.get("reason") == DEADLINE_REASON:
            return "failed", f'Deployment "{name}" exceeded its progress deadline ({condition.get("message", "")})'
    desired = spec.get("replicas", 1)
    updated = status.get("updatedReplicas", 0)
    total = status.get("replicas", 0)
    available = status.get("availableReplicas", 0)
    if updated < desired:
        return "progressing", f"{updated} of {desired} new replicas have been updated"
    if total > updated:
        return "progressing", f"{total - updated} old replicas are pending termination"
    if available < updated:
        return "progressing", f"{available} of {updated} updated replicas are available"
    return "complete", f'Deployment "{name}" successfully rolled out'


def summary(deployment):
    metadata, spec, status = deployment["metadata"], deployment.get("spec") or {}, deployment.get("status") or {}
    state, why = rollout_state(deployment)
    return {
        "name": metadata["name"],
        "namespace": metadata.get("namespace"),
        "revision": revision_of(deployment),
        "images": images_of(spec.get("template")),
        "replicas": spec.get("replicas", 1),
        "ready_replicas": status.get("readyReplicas", 0),
        "updated_replicas": status.get("updatedReplicas", 0),
        "available_replicas": status.get("availableReplicas", 0),
        "generation": metadata.get("generation"),
        "observed_generation": status.get("observedGeneration"),
        "rollout": state,
        "rollout_message": why,
        "conditions": [
            {k: c.get(k) for k in ("type", "status", "reason", "message")} for c in status.get("conditions") or []
        ],
    }


class Kube:
    """The few Kubernetes calls a rollout makes, with API errors turned into messages that name the object."""

    def __init__(self, connection):
        self.connection = connection

    def call(self, method, path, what, body=None, query=None):
        try:
            return self.connection.call(method, path, body=body, query=query)
        except ApiException as error:
            if error.status == 404 and method == "GET":
                return None
            if error.status == 409:
                raise _Conflict(what) from None
            raise PlatformError(f"{what}: the Kubernetes API answered {_reason(error)}") from None
        except (Urllib3Error, OSError) as error:
            raise PlatformError(f"{what}: the Kubernetes API could not be reached: {error}") from None


class _Conflict(PlatformError):
    """The object changed between the read and the write (HTTP 409)."""


def _reason(error):
    try:
        body = json.loads(error.body)
        return f"{error.status} {body.get('reason')}: {body.get('message')}"
    except (TypeError, ValueError):
        return f"{error.status} {error.reason}"


def with_tag(image, tag):
    """``image`` with its tag (and digest) replaced by ``tag``; a registry port is not a tag."""
    base = image.split("@", 1)[0]
    slash = base.rfind("/")
    colon = base.rfind(":")
    if colon > slash:
        base = base[:colon]
    return f"{base}:{tag}"


def _images_text(images):
    return ", ".join(f"{c}={i}" for c, i in images.items())


def _rolled_back(deployment):
    raw = ((deployment.get("metadata") or {}).get("annotations") or {}).get(ROLLED_BACK)
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None
