# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Apply Kubernetes objects with the official ``kubernetes`` client: create, or merge-patch by content compare.

An object is read; missing, it is created; present, the fields the spec sets are compared with the live ones
(quantities compared by value: ``1000m`` equals ``1``) and, when they differ or a field the last apply set is
no longer in the spec, one JSON merge patch sends the spec plus ``null`` for the removed fields (the
three-way merge ``kubectl apply`` does, with the last applied spec kept in an annotation). Fields the server
or controllers set (status, clusterIP, defaults) are never touched. Check mode reads only.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import tempfile

try:
    from kubernetes import client as kube_client
    from kubernetes import config as kube_config
    from kubernetes.client.rest import ApiException

    HAS_KUBERNETES = True
except ImportError:
    HAS_KUBERNETES = False

    class ApiException(Exception):
        status = None


from ..platform import WaitTimeout
from ..platform import wait_for
from .spec import LABEL_CLUSTER
from .spec import LABEL_MANAGED_BY
from .spec import MANAGED_BY
from .spec import parse_quantity

LAST_APPLIED = "stackops.platform/last-applied"
# apiVersion/kind -> (plural, namespaced), in apply order; other kinds are found by API discovery.
KINDS = {
    ("v1", "Namespace"): ("namespaces", False),
    ("v1", "ServiceAccount"): ("serviceaccounts", True),
    ("v1", "ConfigMap"): ("configmaps", True),
    ("v1", "Secret"): ("secrets", True),
    ("v1", "Service"): ("services", True),
    ("apps/v1", "Deployment"): ("deployments", True),
    ("autoscaling/v2", "HorizontalPodAutoscaler"): ("horizontalpodautoscalers", True),
    ("networking.k8s.io/v1", "Ingress"): ("ingresses", True),
    ("networking.k8s.io/v1", "NetworkPolicy"): ("networkpolicies", True),
}
QUANTITY_PARENTS = ("requests", "limits", "target", "hard")


class KubeError(Exception):
    """A problem the user must solve; the message names the object."""


def object_key(obj):
    metadata = obj.get("metadata") or {}
    namespace = metadata.get("namespace")
    return f"{obj['kind']} {namespace + '/' if namespace else ''}{metadata.get('name')}"


class Connection:
    """A Kubernetes API client from an endpoint, a CA and a bearer token, or from a kubeconfig file."""

    def __init__(self, host=None, ca_data=None, token=None, kubeconfig=None, context=None, validate_certs=True):
        if not HAS_KUBERNETES:
            raise KubeError("the kubernetes Python library is required (pip install kubernetes)")
        self._ca_file = None
        if kubeconfig:
            self.api = kube_config.new_client_from_config(config_file=kubeconfig, context=context)
        else:
            configuration = kube_client.Configuration()
            configuration.host = host.rstrip("/")
            configuration.api_key = {"authorization": token}
            configuration.api_key_prefix = {"authorization": "Bearer"}
            configuration.verify_ssl = validate_certs
            if ca_data:
                handle, self._ca_file = tempfile.mkstemp(prefix="stackops-kube-ca-", suffix=".pem")
                with os.fdopen(handle, "wb") as ca_file:
                    ca_file.write(base64.b64decode(ca_data))
                configuration.ssl_ca_cert = self._ca_file
            configuration.retries = 3
            self.api = kube_client.ApiClient(configuration)
        self.reads = 0
        self.writes = 0
        self._discovered = {}

    def close(self):
        try:
            self.api.close()
        finally:
            if self._ca_file and os.path.exists(self._ca_file):
                os.unlink(self._ca_file)

    def call(self, method, path, body=None, query=None, content_type="application/json"):
        if method == "GET":
            self.reads += 1
        else:
            self.writes += 1
        headers = {"Accept": "application/json", "Content-Type": content_type}
        method, url, headers, body, post_params = self.api.param_serialize(
            method,
            path,
            query_params=list((query or {}).items()),
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
        )
        response = self.api.call_api(
            method, url, header_params=headers, body=body, post_params=post_params, _request_timeout=30
        )
        data = response.read()
        if not 200 <= response.status <= 299:
            raise ApiException(status=response.status, reason=response.reason, body=data.decode("utf-8", "replace"))
        return json.loads(data) if data else {}

    def resource(self, api_version, kind):
        """(plural, namespaced) of a kind, from the table or from API discovery."""
        found = KINDS.get((api_version, kind))
        if found:
            return found
        if api_version not in self._discovered:
            path = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
            try:
                listing = self.call("GET", path)
            except ApiException as error:
                raise KubeError(f"the API server does not serve {api_version} ({error.status})") from None
            self._discovered[api_version] = {
                r["kind"]: (r["name"], r["namespaced"]) for r in listing.get("resources", []) if "/" not in r["name"]
            }
        if kind not in self._discovered[api_version]:
            raise KubeError(f"the API server does not serve {kind} in {api_version}")
        return self._discovered[api_version][kind]

    def path(self, obj, with_name=True):
        api_version, kind = obj["apiVersion"], obj["kind"]
        plural, namespaced = self.resource(api_version, kind)
        base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        namespace = (obj.get("metadata") or {}).get("namespace")
        if namespaced:
            if not namespace:
                raise KubeError(f"{object_key(obj)}: a {kind} needs metadata.namespace")
            base += f"/namespaces/{namespace}"
        base += f"/{plural}"
        return f"{base}/{obj['metadata']['name']}" if with_name else base


# -- comparing ---------------------------------------------------------------------------------------------------------


def _same_scalar(want, have, parent):
    if want == have:
        return True
    if isinstance(want, bool) or isinstance(have, bool):
        return False
    if parent in QUANTITY_PARENTS or isinstance(want, (int, float)) or isinstance(have, (int, float)):
        try:
            return parse_quantity(want) == parse_quantity(have)
        except ValueError:
            return str(want) == str(have)
    return False


def contains(want, have, parent=None):
    """Whether every field of ``want`` has the same value in ``have`` (lists compared item by item)."""
    if isinstance(want, dict):
        # A scalar is judged by the key of the mapping that holds it (limits: {cpu: 1000m} -> "limits").
        return isinstance(have, dict) and all(
            contains(v, have.get(k), k if isinstance(v, (dict, list)) else parent) for k, v in want.items()
        )
    if isinstance(want, list):
        return (
            isinstance(have, list)
            and len(want) == len(have)
            and all(contains(w, h, parent) for w, h in zip(want, have, strict=True))
        )
    return _same_scalar(want, have, parent)


def removals(last, want):
    """Merge-patch ``null`` entries for fields the last apply set that the spec no longer has."""
    patch = {}
    if not isinstance(last, dict):
        return patch
    for key, value in last.items():
        if key not in want:
            patch[key] = None
        elif isinstance(value, dict) and isinstance(want[key], dict):
            nested = removals(value, want[key])
            if nested:
                patch[key] = nested
    return patch


def _deep_merge(base, extra):
    result = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = _deep_merge(result[key], value)
        else:
            result[key] = value
    return result


def _needs_removal(patch, have):
    if not isinstance(patch, dict) or not isinstance(have, dict):
        return False
    for key, value in patch.items():
        if value is None and key in have:
            return True
        if isinstance(value, dict) and _needs_removal(value, have.get(key)):
            return True
    return False


def project(have, want):
    """The part of ``have`` that ``want`` speaks about (for the diff)."""
    if isinstance(want, dict) and isinstance(have, dict):
        return {k: project(have.get(k), v) for k, v in want.items() if k in have}
    return have


def with_last_applied(obj):
    desired = copy.deepcopy(obj)
    metadata = desired.setdefault("metadata", {})
    record = copy.deepcopy(obj)
    (record.get("metadata") or {}).get("annotations", {}).pop(LAST_APPLIED, None)
    metadata.setdefault("annotations", {})[LAST_APPLIED] = json.dumps(record, sort_keys=True, separators=(",", ":"))
    return desired


# -- applying -----------------------------------------------------------------------------------------------------------


class Applier:
    def __init__(self, connection, changes, cluster=None, wait=True, wait_timeout=300):
        self.kube = connection
        self.changes = changes
        self.cluster = cluster
        self.wait = wait
        self.wait_timeout = wait_timeout
        self.before = {}
        self.after = {}
        self.applied = []
        self.written = set()  # keys of the objects created or patched in this run

    def read(self, obj):
        try:
            return self.kube.call("GET", self.kube.path(obj))
        except ApiException as error:
            if error.status == 404:
                return None
            raise KubeError(f"{object_key(obj)}: reading it failed: {_reason(error)}") from None

    def apply(self, obj):
        key = object_key(obj)
        desired = with_last_applied(obj)
        live = self.read(obj) if self.kube else None
        self.after[key] = obj
        if live is None:
            self.before[key] = None
            if self.changes.add(f"create {key}"):
                self._write("POST", self.kube.path(obj, with_name=False), desired, key)
                self.written.add(key)
            self.applied.append(obj)
            return
        last = {}
        annotation = ((live.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
        if annotation:
            try:
                last = json.loads(annotation)
            except ValueError:
                last = {}
        patch = _deep_merge(removals(last, obj), desired)
        self.before[key] = project(live, obj)
        if contains(obj, live) and not _needs_removal(patch, live) and annotation:
            self.applied.append(obj)
            return
        if self.changes.add(f"update {key}"):
            self._write("PATCH", self.kube.path(obj), patch, key, "application/merge-patch+json")
            self.written.add(key)
        self.applied.append(obj)

    def _write(self, method, path, body, key, content_type="application/json"):
        try:
            return self.kube.call(method, path, body=body, content_type=content_type)
        except ApiException as error:
            raise KubeError(
                f"{key}: {'creating' if method == 'POST' else 'updating'} it failed: {_reason(error)}"
            ) from None

    def prune(self, kinds):
        """Delete objects labelled as this cluster's that the spec no longer has (namespaces last)."""
        wanted = {object_key(o) for o in self.applied}
        selector = f"{LABEL_MANAGED_BY}={MANAGED_BY},{LABEL_CLUSTER}={self.cluster}"
        for api_version, kind in reversed(kinds):
            base = {"apiVersion": api_version, "kind": kind, "metadata": {}}
            plural, namespaced = self.kube.resource(api_version, kind)
            path = ("/api/v1" if api_version == "v1" else f"/apis/{api_version}") + f"/{plural}"
            try:
                items = self.kube.call("GET", path, query={"labelSelector": selector}).get("items", [])
            except ApiException as error:
                raise KubeError(f"listing {plural} failed: {_reason(error)}") from None
            for item in items:
                found = dict(base, metadata=item["metadata"])
                key = object_key(found)
                if key in wanted:
                    continue
                self.before[key] = {"metadata": {"name": item["metadata"]["name"]}}
                self.after[key] = None
                if self.changes.add(f"delete {key}"):
                    try:
                        self.kube.call("DELETE", self.kube.path(found))
                    except ApiException as error:
                        if error.status != 404:
                            raise KubeError(f"{key}: deleting it failed: {_reason(error)}") from None
            del namespaced

    def wait_rollouts(self):
        """Wait until every Deployment created or changed in this run has rolled out (updated, available, observed)."""
        if not self.wait or self.changes.check_mode:
            return
        for obj in self.applied:
            if obj["kind"] != "Deployment" or object_key(obj) not in self.written:
                continue

            def done(target=obj):
                live = self.read(target) or {}
                spec, status = live.get("spec", {}), live.get("status", {})
                replicas = spec.get("replicas", 1)
                return (
                    status.get("observedGeneration", 0) >= live.get("metadata", {}).get("generation", 1)
                    and status.get("updatedReplicas", 0) == replicas
                    and status.get("availableReplicas", 0) == replicas
                )

            try:
                wait_for(done, self.wait_timeout, f"the rollout of {object_key(obj)}", delay=1.0)
            except WaitTimeout as error:
                raise KubeError(str(error)) from None


def _reason(error):
    try:
        body = json.loads(error.body)
        return f"{error.status} {body.get('reason')}: {body.get('message')}"
    except (TypeError, ValueError):
        return f"{error.status} {error.reason}"
