"""A fake Kubernetes API server for the emulator's EKS clusters (no kube-apiserver can run here).

What it does, following the Kubernetes API conventions
(https://kubernetes.io/docs/reference/using-api/api-concepts/):

- HTTPS with a CA of its own (``tls.py``); each EKS cluster of the emulator has its own path prefix
  ``/eks/<region>/<cluster>`` on this server, and reports that URL and the CA in DescribeCluster.
- Discovery: ``/version``, ``/api``, ``/api/v1``, ``/apis``, ``/apis/<group>/<version>``.
- Namespaced CRUD (get, list with ``labelSelector``, create, replace, merge and strategic-merge patch,
  delete) for Namespaces, ServiceAccounts, Services, ConfigMaps, Secrets, Deployments,
  HorizontalPodAutoscalers, Ingresses and NetworkPolicies; ``resourceVersion`` on every write, ``generation``
  on spec changes, 404 ``NotFound``, 409 ``AlreadyExists`` and ``Conflict`` (stale resourceVersion),
  422 ``Invalid`` (names that are not DNS-1123), ``Status`` bodies as the API returns them.
- Authentication as EKS does it: a bearer token ``k8s-aws-v1.<base64url of a presigned STS GetCallerIdentity
  URL>`` whose signed headers include ``x-k8s-aws-id`` and which has not expired
  (https://github.com/kubernetes-sigs/aws-iam-authenticator#api-authorization-from-outside-a-cluster).
- The Deployment controller (``controller.py``): a ReplicaSet per pod template with revisions, rollouts that
  progress over time, ProgressDeadlineExceeded for images a test marks as bad; ReplicaSets are served read-only
  (``apps/v1`` list and get).
- A call log (``GET /_stackops/calls``, ``DELETE`` to clear) split into reads and writes, like the emulator's;
  the rollout timings (``GET``/``PUT /_stackops/rollouts``, ``{"pod_ready_seconds": 1.0, "bad_images": []}``).
"""

from __future__ import annotations

import base64
import copy
import datetime
import json
import re
import ssl
import threading
import uuid
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs
from urllib.parse import unquote
from urllib.parse import urlsplit

from .controller import INSTANT
from .controller import ROLLOUT_DEFAULTS
from .controller import DeploymentController
from .tls import make_certificates

# (group, version) -> {plural: (kind, namespaced)}
RESOURCES = {
    ("", "v1"): {
        "namespaces": ("Namespace", False),
        "serviceaccounts": ("ServiceAccount", True),
        "services": ("Service", True),
        "configmaps": ("ConfigMap", True),
        "secrets": ("Secret", True),
    },
    ("apps", "v1"): {"deployments": ("Deployment", True), "replicasets": ("ReplicaSet", True)},
    ("autoscaling", "v2"): {"horizontalpodautoscalers": ("HorizontalPodAutoscaler", True)},
    ("networking.k8s.io", "v1"): {"ingresses": ("Ingress", True), "networkpolicies": ("NetworkPolicy", True)},
    # The Prometheus operator's CRD (monitoring.coreos.com/v1), as a cluster with kube-prometheus-stack serves it.
    ("monitoring.coreos.com", "v1"): {"prometheusrules": ("PrometheusRule", True)},
}
VERBS = ["create", "delete", "get", "list", "patch", "update"]
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
TOKEN_PREFIX = "k8s-aws-v1."
MAX_TOKEN_AGE = 15 * 60  # aws-iam-authenticator refuses presigned URLs valid for longer than 15 minutes
PREFIX_RE = re.compile(r"^/eks/(?P<region>[a-z0-9-]+)/(?P<cluster>[A-Za-z0-9_-]+)(?P<rest>/.*)?$")


def _now():
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def status(code, reason, message, name=None, kind=None):
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message}
    body.update(reason=reason, code=code)
    if name or kind:
        body["details"] = {k: v for k, v in (("name", name), ("kind", kind)) if v}
    return code, body


def check_token(header, cluster):
    """None when the bearer token is one EKS would accept for ``cluster``, else why not."""
    if not header.startswith("Bearer "):
        return "no bearer token"
    token = header[len("Bearer ") :].strip()
    if not token.startswith(TOKEN_PREFIX):
        return f"the token does not start with {TOKEN_PREFIX}"
    encoded = token[len(TOKEN_PREFIX) :]
    if "=" in encoded:
        return "the token is padded (EKS tokens are base64url without padding)"
    try:
        url = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return "the token is not base64url"
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    if parts.scheme not in ("https", "http") or query.get("Action") != "GetCallerIdentity":
        return "the token is not a presigned STS GetCallerIdentity URL"
    if query.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" or not re.fullmatch(
        r"[0-9a-f]{64}", query.get("X-Amz-Signature", "")
    ):
        return "the presigned URL is not signed with SigV4"
    signed = query.get("X-Amz-SignedHeaders", "").split(";")
    if "x-k8s-aws-id" not in signed or "host" not in signed:
        return "the presigned URL does not sign the x-k8s-aws-id header (the cluster name)"
    credential = query.get("X-Amz-Credential", "").split("/")
    if len(credential) != 5 or credential[3] != "sts":
        return "the presigned URL is not signed for STS"
    try:
        signed_at = datetime.datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.UTC)
        expires = int(query["X-Amz-Expires"])
    except (KeyError, ValueError):
        return "the presigned URL has no X-Amz-Date or X-Amz-Expires"
    if expires > MAX_TOKEN_AGE:
        return f"X-Amz-Expires {expires} is more than {MAX_TOKEN_AGE} s"
    age = (datetime.datetime.now(datetime.UTC) - signed_at).total_seconds()
    if age > expires or age < -300:
        return "the token has expired"
    return None


def _merge(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge(result.get(key), value)
    return result


def _selector_matches(selector, labels):
    for term in filter(None, (t.strip() for t in (selector or "").split(","))):
        if "!=" in term:
            key, value = term.split("!=", 1)
            if labels.get(key.strip()) == value.strip():
                return False
        elif "=" in term:
            key, value = term.replace("==", "=").split("=", 1)
            if labels.get(key.strip()) != value.strip():
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


class ClusterStore:
    """The objects of one cluster."""

    def __init__(self):
        self.objects = {}  # (group, version, plural, namespace, name) -> object
        self.rollouts = {}  # (namespace, deployment) -> the rollout the Deployment controller is running
        for name in ("default", "kube-system", "kube-public", "kube-node-lease"):
            self.objects[("", "v1", "namespaces", "", name)] = {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    "name": name,
                    "uid": str(uuid.uuid4()),
                    "resourceVersion": "1",
                    "creationTimestamp": _now(),
                },
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            }


class KubeFake:
    def __init__(self, host="127.0.0.1", port=0, version_of=None, rollout_defaults=None):
        self.lock = threading.RLock()
        # Pods are ready at once unless a test (or the emulator, see get_fake) asks for rollouts that take time.
        self.rollout_defaults = copy.deepcopy(rollout_defaults or INSTANT)
        self.settings = copy.deepcopy(self.rollout_defaults)
        self.controller = DeploymentController(self.settings)
        self.clusters = {}  # (region, cluster) -> ClusterStore
        self.calls = []
        self.counter = 100
        self.version_of = version_of or (lambda region, cluster: "1.28")
        self.ca_pem, cert_file, key_file = make_certificates(host)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                code, payload = fake.handle(self.command, self.path, dict(self.headers), body)
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.host, self.port = host, self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    # -- for the emulator ------------------------------------------------------------------------------------------

    def url(self, region, cluster):
        return f"https://{self.host}:{self.port}/eks/{region}/{cluster}"

    @property
    def ca_data(self):
        return base64.b64encode(self.ca_pem).decode()

    def reset(self):
        with self.lock:
            self.clusters.clear()
            self.calls.clear()
            self.settings.clear()
            self.settings.update(copy.deepcopy(self.rollout_defaults))

    def configure_rollouts(self, settings):
        """Change the rollout timings (``pod_ready_seconds``) and the images whose Pods never get ready."""
        unknown = set(settings) - set(ROLLOUT_DEFAULTS)
        if unknown:
            raise ValueError(f"unknown rollout settings: {sorted(unknown)} (known: {sorted(ROLLOUT_DEFAULTS)})")
        if "pod_ready_seconds" in settings and float(settings["pod_ready_seconds"]) < 0:
            raise ValueError("pod_ready_seconds must be 0 or more")
        if "bad_images" in settings and not isinstance(settings["bad_images"], list):
            raise ValueError("bad_images must be a list of images or shell patterns")
        with self.lock:
            for clusters in self.clusters.values():
                self.controller.sync(clusters)  # rollouts so far ran at the old pace
            self.settings.update(copy.deepcopy(settings))
            return dict(self.settings)

    def drop(self, region, cluster):
        with self.lock:
            self.clusters.pop((region, cluster), None)

    # -- requests ----------------------------------------------------------------------------------------------------

    def handle(self, method, raw_path, headers, body):
        parts = urlsplit(raw_path)
        path, query = unquote(parts.path), {k: v[0] for k, v in parse_qs(parts.query).items()}
        if path.rstrip("/") == "/_stackops/calls":
            with self.lock:
                if method == "DELETE":
                    self.calls.clear()
                    return 200, {"cleared": True}
                calls = list(self.calls)
            return 200, {
                "calls": calls,
                "reads": sum(1 for c in calls if c["kind"] == "read"),
                "writes": sum(1 for c in calls if c["kind"] == "write"),
            }
        if path.rstrip("/") == "/_stackops/rollouts":
            if method == "PUT":
                try:
                    return 200, self.configure_rollouts(json.loads(body or b"{}"))
                except (ValueError, TypeError) as error:
                    return status(400, "BadRequest", str(error))
            with self.lock:
                return 200, dict(self.settings)
        match = PREFIX_RE.match(path)
        if not match:
            return status(404, "NotFound", f"the server could not find the requested resource ({path})")
        region, cluster, rest = match.group("region"), match.group("cluster"), match.group("rest") or "/"
        headers = {k.lower(): v for k, v in headers.items()}
        problem = check_token(headers.get("authorization", ""), cluster)
        kind = "read" if method == "GET" else "write"
        with self.lock:
            self.calls.append(
                {"cluster": cluster, "method": method, "path": rest, "kind": kind, "auth": problem is None}
            )
        if problem:
            return status(401, "Unauthorized", f"Unauthorized: {problem}")
        with self.lock:
            store = self.clusters.setdefault((region, cluster), ClusterStore())
            self.controller.sync(store)
            try:
                return self._route(store, region, cluster, method, rest.rstrip("/") or "/", query, headers, body)
            except json.JSONDecodeError as error:
                return status(400, "BadRequest", f"the body is not JSON: {error}")

    def _route(self, store, region, cluster, method, path, query, headers, body):
        if path == "/version":
            major, minor = self.version_of(region, cluster).split(".")
            return 200, {
                "major": major,
                "minor": minor,
                "gitVersion": f"v{major}.{minor}.0-eks-fake",
                "platform": "linux/amd64",
            }
        if path == "/api":
            return 200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
        if path == "/apis":
            groups = [
                {
                    "name": group,
                    "versions": [{"groupVersion": f"{group}/{version}", "version": version}],
                    "preferredVersion": {"groupVersion": f"{group}/{version}", "version": version},
                }
                for (group, version) in RESOURCES
                if group
            ]
            return 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}
        segments = path.strip("/").split("/")
        if segments[0] == "api" and len(segments) >= 2:
            group, version, rest = "", segments[1], segments[2:]
        elif segments[0] == "apis" and len(segments) >= 3:
            group, version, rest = segments[1], segments[2], segments[3:]
        else:
            return status(404, "NotFound", f"the server could not find the requested resource ({path})")
        resources = RESOURCES.get((group, version))
        if resources is None:
            return status(404, "NotFound", f"the server could not find the requested resource ({path})")
        group_version = f"{group}/{version}" if group else version
        if not rest:
            return 200, {
                "kind": "APIResourceList",
                "apiVersion": "v1",
                "groupVersion": group_version,
                "resources": [
                    {
                        "name": plural,
                        "singularName": kind.lower(),
                        "namespaced": namespaced,
                        "kind": kind,
                        "verbs": VERBS,
                    }
                    for plural, (kind, namespaced) in resources.items()
                ],
            }
        namespace = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        plural, name = rest[0], (rest[1] if len(rest) > 1 else None)
        if plural not in resources or len(rest) > 2:
            return status(404, "NotFound", f"the server could not find the requested resource ({path})")
        kind, namespaced = resources[plural]
        if namespaced != (namespace is not None) and not (namespace is None and name is None and method == "GET"):
            return status(404, "NotFound", f"the server could not find the requested resource ({path})")
        key = (group, version, plural, namespace or "", name)
        what = f'{plural}{"." + group if group else ""} "{name}"'
        if method == "GET" and name is None:
            items = [
                copy.deepcopy(obj)
                for (g, v, p, ns, _n), obj in sorted(store.objects.items())
                if (g, v, p) == (group, version, plural)
                and (namespace is None or ns == namespace)
                and _selector_matches(query.get("labelSelector"), obj["metadata"].get("labels") or {})
            ]
            return 200, {
                "kind": f"{kind}List",
                "apiVersion": group_version,
                "metadata": {"resourceVersion": str(self.counter)},
                "items": items,
            }
        if method == "GET":
            found = store.objects.get(key)
            return (200, copy.deepcopy(found)) if found else status(404, "NotFound", f"{what} not found", name, plural)
        if method != "GET" and kind == "ReplicaSet":
            return status(
                405, "MethodNotAllowed", "the fake's ReplicaSets belong to the Deployment controller (read only)"
            )
        if method == "POST" and name is None:
            obj = json.loads(body or b"{}")
            problem = self._check_object(obj, kind, group_version, namespace)
            if problem:
                return problem
            name = obj["metadata"]["name"]
            key = (group, version, plural, namespace or "", name)
            if namespaced and ("", "v1", "namespaces", "", namespace) not in store.objects:
                return status(404, "NotFound", f'namespaces "{namespace}" not found', namespace, "namespaces")
            if key in store.objects:
                return status(
                    409,
                    "AlreadyExists",
                    f'{plural}{"." + group if group else ""} "{name}" already exists',
                    name,
                    plural,
                )
            return 201, copy.deepcopy(self._store(store, key, kind, obj, None))
        if name is None:
            return status(405, "MethodNotAllowed", f"{method} is not allowed on a collection")
        current = store.objects.get(key)
        if current is None:
            return status(404, "NotFound", f"{what} not found", name, plural)
        if method == "DELETE":
            del store.objects[key]
            if kind == "Deployment":
                self.controller.on_delete(store, key)
            if plural == "namespaces":
                for other in [k for k in store.objects if k[3] == name]:
                    del store.objects[other]
            return 200, {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Success",
                "details": {"name": name, "kind": plural},
            }
        if method == "PUT":
            obj = json.loads(body or b"{}")
            problem = self._check_object(obj, kind, group_version, namespace)
            if problem:
                return problem
            wanted_rv = obj["metadata"].get("resourceVersion")
            if wanted_rv and wanted_rv != current["metadata"]["resourceVersion"]:
                return status(
                    409,
                    "Conflict",
                    f"Operation cannot be fulfilled on {what}: the object has been modified; please apply your changes "
                    "to the latest version and try again",
                    name,
                    plural,
                )
            return 200, copy.deepcopy(self._store(store, key, kind, obj, current))
        if method == "PATCH":
            content_type = headers.get("content-type", "").split(";")[0]
            if content_type not in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
                return status(415, "UnsupportedMediaType", f"the fake supports merge patches only, not {content_type}")
            patch = json.loads(body or b"{}")
            wanted_rv = (patch.get("metadata") or {}).get("resourceVersion")
            if wanted_rv and wanted_rv != current["metadata"]["resourceVersion"]:
                return status(
                    409,
                    "Conflict",
                    f"Operation cannot be fulfilled on {what}: the object has been modified",
                    name,
                    plural,
                )
            obj = _merge(current, patch)
            problem = self._check_object(obj, kind, group_version, namespace)
            if problem:
                return problem
            if obj["metadata"]["name"] != name:
                return status(
                    422,
                    "Invalid",
                    f'{kind} "{name}" is invalid: metadata.name: Invalid value: field is immutable',
                    name,
                    plural,
                )
            return 200, copy.deepcopy(self._store(store, key, kind, obj, current))
        return status(405, "MethodNotAllowed", f"{method} is not allowed")

    @staticmethod
    def _check_object(obj, kind, group_version, namespace):
        if not isinstance(obj, dict):
            return status(400, "BadRequest", "the body is not an object")
        if obj.get("kind") != kind or obj.get("apiVersion") != group_version:
            return status(
                400,
                "BadRequest",
                f"the object is {obj.get('apiVersion')}/{obj.get('kind')}, the URL is {group_version}/{kind}",
            )
        metadata = obj.get("metadata") or {}
        name = metadata.get("name")
        pattern, limit = (DNS1123_LABEL, 63) if kind in ("Namespace", "Service") else (DNS1123_SUBDOMAIN, 253)
        if not isinstance(name, str) or len(name) > limit or not pattern.match(name):
            return status(
                422,
                "Invalid",
                f'{kind} "{name}" is invalid: metadata.name: Invalid value: "{name}": a lowercase RFC 1123 '
                f"{'label' if pattern is DNS1123_LABEL else 'subdomain'} must consist of lower case alphanumeric "
                "characters or '-', and must start and end with an alphanumeric character",
                name,
                kind,
            )
        if namespace is not None and metadata.get("namespace") not in (None, namespace):
            return status(
                400,
                "BadRequest",
                "the namespace of the provided object does not match the namespace sent on the request",
            )
        if kind == "HorizontalPodAutoscaler":
            spec = obj.get("spec") or {}
            if spec.get("minReplicas", 1) > spec.get("maxReplicas", 0):
                return status(
                    422,
                    "Invalid",
                    f'{kind} "{name}" is invalid: spec.maxReplicas: must be greater than or equal to minReplicas',
                    name,
                    kind,
                )
        return None

    def _store(self, store, key, kind, obj, current):
        self.counter += 1
        obj = copy.deepcopy(obj)
        metadata = obj.setdefault("metadata", {})
        if key[3]:
            metadata["namespace"] = key[3]
        previous = (current or {}).get("metadata", {})
        metadata["uid"] = previous.get("uid") or str(uuid.uuid4())
        metadata["creationTimestamp"] = previous.get("creationTimestamp") or _now()
        metadata["resourceVersion"] = str(self.counter)
        generation = previous.get("generation", 0)
        if current is None or obj.get("spec") != current.get("spec"):
            generation += 1
        if kind not in ("Namespace", "ServiceAccount", "ConfigMap", "Secret"):
            metadata["generation"] = generation
        obj.pop("status", None) if current is None else obj.__setitem__("status", current.get("status", {}))
        if kind == "Namespace":
            obj.setdefault("spec", {"finalizers": ["kubernetes"]})
            obj["status"] = {"phase": "Active"}
        if kind == "Service":
            spec = obj.setdefault("spec", {})
            spec.setdefault("type", "ClusterIP")
            spec["clusterIP"] = (current or {}).get("spec", {}).get(
                "clusterIP"
            ) or f"172.20.{self.counter % 250}.{self.counter % 200 + 10}"
            spec["clusterIPs"] = [spec["clusterIP"]]
            for port in spec.get("ports", []):
                port.setdefault("protocol", "TCP")
                port.setdefault("targetPort", port.get("port"))
        if kind == "Deployment":
            self.controller.on_write(store, key, obj, current)
        store.objects[key] = obj
        return obj


_FAKE = None
_FAKE_LOCK = threading.Lock()


def get_fake(version_of=None):
    """The process's fake API server, started on first use; its rollouts take a few seconds by default."""
    global _FAKE  # noqa: PLW0603 - one fake per emulator process
    with _FAKE_LOCK:
        if _FAKE is None:
            _FAKE = KubeFake(version_of=version_of, rollout_defaults=ROLLOUT_DEFAULTS)
        elif version_of is not None:
            _FAKE.version_of = version_of
        return _FAKE


def running_fake():
    return _FAKE
