# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Kubernetes side of the platform: naming and label rules, validation, and the objects to apply.

Pure Python, no Kubernetes calls. Used by the ``kube_objects`` module (which validates its manifests before any
API call), by ``apply.py`` (quantities, ownership labels), by the EKS spec (node group labels follow the same
rules) and by the ``cluster_eks_kube_objects`` filter the ``cluster`` role runs first, so that messages name the
role variables (``cluster_eks_workloads[0].resources.requests.cpu``).
"""

from __future__ import annotations

import re

from ..aws_rules import ROLE_ARN_RE

# Kubernetes names: DNS-1123 label (namespaces, services), subdomain (most objects), label keys and values.
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_NAME_RE = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
LABEL_VALUE_RE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_QUANTITY_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|e\d+)?$")

MANAGED_BY = "stackops.platform"
LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
LABEL_CLUSTER = "stackops.platform/cluster"
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"

# -- validation helpers ---------------------------------------------------------------------------------------------


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def label_key(key):
    if not isinstance(key, str) or not key:
        return False
    prefix, _sep, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not DNS1123_SUBDOMAIN.match(prefix)):
        return False
    return len(name) <= 63 and bool(LABEL_NAME_RE.match(name))


def check_labels(labels, where, errors):
    if labels in (None, {}):
        return
    if not isinstance(labels, dict):
        errors.append(f"{where}: must be a mapping of label keys to values")
        return
    for key, value in labels.items():
        if not label_key(key):
            errors.append(
                f"{where}: {key!r} is not a Kubernetes label key (name or prefix/name, 63 characters at most)"
            )
        elif not isinstance(value, str) or len(value) > 63 or not LABEL_VALUE_RE.match(value):
            errors.append(f"{where}.{key}: {value!r} is not a Kubernetes label value (a string, 63 characters at most)")


def unknown_keys(item, allowed, where, errors):
    unknown = sorted(set(item) - set(allowed))
    if unknown:
        errors.append(f"{where}: unknown key(s) {', '.join(unknown)}")


# -- Kubernetes objects --------------------------------------------------------------------------------------------------

WORKLOAD_KEYS = (
    "name",
    "namespace",
    "image",
    "port",
    "replicas",
    "command",
    "args",
    "env",
    "secret_env",
    "env_from",
    "resources",
    "liveness_probe",
    "readiness_probe",
    "strategy",
    "service",
    "service_account",
    "hpa",
    "labels",
    "pod_annotations",
    "node_selector",
    "tolerations",
)


def _probe_errors(probe, where, errors):
    if probe is None:
        return
    if not isinstance(probe, dict):
        errors.append(
            f"{where}: must be a mapping with path (and port, initial_delay, period, timeout, failure_threshold)"
        )
        return
    unknown_keys(probe, ("path", "port", "initial_delay", "period", "timeout", "failure_threshold"), where, errors)
    if not isinstance(probe.get("path"), str) or not probe["path"].startswith("/"):
        errors.append(f"{where}.path: {probe.get('path')!r} must be an HTTP path starting with /")
    for field in ("initial_delay", "period", "timeout", "failure_threshold"):
        value = probe.get(field)
        if value is not None and (not is_int(value) or value < 0):
            errors.append(f"{where}.{field}: {value!r} must be a whole number of seconds, 0 or more")


def _resources_errors(resources, where, errors):
    if resources is None:
        return
    if not isinstance(resources, dict):
        errors.append(f"{where}: must be a mapping with requests and limits")
        return
    unknown_keys(resources, ("requests", "limits"), where, errors)
    for part in ("requests", "limits"):
        for resource, value in (resources.get(part) or {}).items():
            if not _QUANTITY_RE.match(str(value)):
                errors.append(f"{where}.{part}.{resource}: {value!r} is not a Kubernetes quantity (250m, 512Mi, 1)")
    requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
    for resource in set(requests) & set(limits):
        try:
            if parse_quantity(requests[resource]) > parse_quantity(limits[resource]):
                errors.append(
                    f"{where}.requests.{resource}: {requests[resource]} is more than the limit {limits[resource]}"
                )
        except ValueError:
            pass


_SUFFIXES = {
    "m": 0.001,
    "": 1,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "P": 1e15,
    "E": 1e18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}


def parse_quantity(value):
    """A Kubernetes quantity as a float (``"250m"`` → 0.25, ``"1Gi"`` → 1073741824). Raises ValueError."""
    text = str(value).strip()
    match = re.match(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(e\d+|[a-zA-Z]*)$", text)
    if not match:
        raise ValueError(f"{value!r} is not a quantity")
    number, suffix = match.groups()
    if suffix.startswith("e"):
        return float(number) * 10 ** int(suffix[1:])
    if suffix not in _SUFFIXES:
        raise ValueError(f"{value!r} has an unknown suffix")
    return float(number) * _SUFFIXES[suffix]


def _name(value, where, errors, pattern=DNS1123_LABEL, max_length=63, what="DNS-1123 label"):
    if not isinstance(value, str) or len(value) > max_length or not pattern.match(value):
        errors.append(
            f"{where}: {value!r} is not a valid Kubernetes name ({what}: lowercase letters, digits and '-', "
            f"starting and ending with a letter or digit, at most {max_length} characters)"
        )
        return False
    return True


def _backend_errors(path, where, namespace, params, prefix, errors):
    """An Ingress path to a workload's Service names a port that Service has (the Service of a workload listens on
    ``service.port``, 80 by default, and forwards to the workload's ``port``); Services of raw objects are not
    checked."""
    for index, workload in enumerate(params.get("workloads") or []):
        if not isinstance(workload, dict) or (workload.get("namespace"), workload.get("name")) != (
            namespace,
            path["service"],
        ):
            continue
        service = workload.get("service", workload.get("port") is not None)
        if not service or workload.get("port") is None:
            errors.append(
                f"{where}.service: {prefix}workloads[{index}] ({path['service']}) has no Service (it needs a port, and "
                "service not false)"
            )
            return
        service_port = service.get("port", 80) if isinstance(service, dict) else 80
        port = path.get("port", 80)
        if port != service_port:
            errors.append(
                f"{where}.port: {port} is not the port of the Service {path['service']} ({service_port}, "
                f"{prefix}workloads[{index}].service.port); the load balancer would find no backend"
            )
        return


def validate_kube(params, prefix=""):
    """Every rule the Kubernetes side of the spec breaks: namespaces, workloads, ingresses, network policies."""
    errors = []
    namespaces = []
    for index, item in enumerate(params.get("namespaces") or []):
        where = f"{prefix}namespaces[{index}]"
        namespace = {"name": item} if isinstance(item, str) else item
        if not isinstance(namespace, dict):
            errors.append(f"{where}: must be a name or a mapping with name and labels")
            continue
        unknown_keys(namespace, ("name", "labels"), where, errors)
        if _name(namespace.get("name"), f"{where}.name", errors):
            if namespace["name"] in namespaces:
                errors.append(f"{where}.name: {namespace['name']} is listed twice")
            namespaces.append(namespace["name"])
        check_labels(namespace.get("labels"), f"{where}.labels", errors)
    seen = set()
    for index, workload in enumerate(params.get("workloads") or []):
        where = f"{prefix}workloads[{index}]"
        if not isinstance(workload, dict):
            errors.append(f"{where}: must be a mapping with name, namespace, image")
            continue
        unknown_keys(workload, WORKLOAD_KEYS, where, errors)
        ok = _name(workload.get("name"), f"{where}.name", errors)
        namespace = workload.get("namespace")
        if _name(namespace, f"{where}.namespace", errors) and namespaces and namespace not in namespaces:
            errors.append(f"{where}.namespace: {namespace} is not in {prefix}namespaces")
        if ok and (namespace, workload["name"]) in seen:
            errors.append(f"{where}.name: {workload['name']} is defined twice in namespace {namespace}")
        seen.add((namespace, workload.get("name")))
        if not isinstance(workload.get("image"), str) or not workload["image"]:
            errors.append(f"{where}.image: give the container image")
        port = workload.get("port")
        if port is not None and (not is_int(port) or not 1 <= port <= 65535):
            errors.append(f"{where}.port: {port!r} must be a port from 1 to 65535")
        replicas = workload.get("replicas", 1)
        if not is_int(replicas) or replicas < 0:
            errors.append(f"{where}.replicas: {replicas!r} must be a whole number, 0 or more")
        _resources_errors(workload.get("resources"), f"{where}.resources", errors)
        _probe_errors(workload.get("liveness_probe"), f"{where}.liveness_probe", errors)
        _probe_errors(workload.get("readiness_probe"), f"{where}.readiness_probe", errors)
        for probe in ("liveness_probe", "readiness_probe"):
            if isinstance(workload.get(probe), dict) and port is None and workload[probe].get("port") is None:
                errors.append(f"{where}.{probe}.port: give the port (the workload has no port)")
        check_labels(workload.get("labels"), f"{where}.labels", errors)
        service = workload.get("service")
        if isinstance(service, dict):
            service_port = service.get("port", 80)
            if not is_int(service_port) or not 1 <= service_port <= 65535:
                errors.append(f"{where}.service.port: {service_port!r} must be a port from 1 to 65535")
            if port is None:
                errors.append(f"{where}.service: a service needs the workload's port")
        account = workload.get("service_account")
        if isinstance(account, dict):
            _name(
                account.get("name"),
                f"{where}.service_account.name",
                errors,
                DNS1123_SUBDOMAIN,
                253,
                "DNS-1123 subdomain",
            )
            arn = account.get("role_arn")
            if arn and not ROLE_ARN_RE.match(str(arn)):
                errors.append(f"{where}.service_account.role_arn: {arn!r} is not an IAM role ARN")
        elif account is not None and not isinstance(account, str):
            errors.append(f"{where}.service_account: a name or a mapping with name (and role_arn or irsa_role)")
        hpa = workload.get("hpa")
        if hpa is not None:
            if not isinstance(hpa, dict):
                errors.append(f"{where}.hpa: must be a mapping with min, max and cpu / memory / metrics")
            else:
                unknown_keys(hpa, ("min", "max", "cpu", "memory", "metrics", "behavior"), where + ".hpa", errors)
                low, high = hpa.get("min", 1), hpa.get("max")
                if not is_int(low) or low < 1:
                    errors.append(f"{where}.hpa.min: {low!r} must be a whole number, 1 or more")
                if not is_int(high) or high < 1:
                    errors.append(f"{where}.hpa.max: {high!r} must be a whole number, 1 or more")
                elif is_int(low) and low > high:
                    errors.append(f"{where}.hpa.min: {low} is more than hpa.max {high}")
                for field in ("cpu", "memory"):
                    value = hpa.get(field)
                    if value is not None and (not is_int(value) or not 1 <= value <= 1000):
                        errors.append(
                            f"{where}.hpa.{field}: {value!r} must be a target utilisation in percent (1-1000)"
                        )
                if not any(hpa.get(k) for k in ("cpu", "memory", "metrics")):
                    errors.append(f"{where}.hpa: give a target (cpu, memory, or metrics)")
    for index, ingress in enumerate(params.get("ingresses") or []):
        where = f"{prefix}ingresses[{index}]"
        if not isinstance(ingress, dict):
            errors.append(f"{where}: must be a mapping with name, namespace, rules")
            continue
        unknown_keys(
            ingress, ("name", "namespace", "class", "annotations", "host", "paths", "tls_hosts"), where, errors
        )
        _name(ingress.get("name"), f"{where}.name", errors, DNS1123_SUBDOMAIN, 253, "DNS-1123 subdomain")
        _name(ingress.get("namespace"), f"{where}.namespace", errors)
        for path_index, path in enumerate(ingress.get("paths") or []):
            if not isinstance(path, dict) or not str(path.get("path", "")).startswith("/"):
                errors.append(f"{where}.paths[{path_index}].path: must start with /")
            elif not path.get("service"):
                errors.append(f"{where}.paths[{path_index}].service: name the service")
            else:
                _backend_errors(path, f"{where}.paths[{path_index}]", ingress.get("namespace"), params, prefix, errors)
    for index, policy in enumerate(params.get("network_policies") or []):
        where = f"{prefix}network_policies[{index}]"
        if not isinstance(policy, dict):
            errors.append(f"{where}: must be a mapping with name, namespace and the policy's spec")
            continue
        unknown_keys(policy, ("name", "namespace", "pod_selector", "policy_types", "ingress", "egress"), where, errors)
        _name(policy.get("name"), f"{where}.name", errors, DNS1123_SUBDOMAIN, 253, "DNS-1123 subdomain")
        _name(policy.get("namespace"), f"{where}.namespace", errors)
        for type_index, kind in enumerate(policy.get("policy_types") or []):
            if kind not in ("Ingress", "Egress"):
                errors.append(f"{where}.policy_types[{type_index}]: {kind!r} must be Ingress or Egress")
    for index, item in enumerate(params.get("objects") or []):
        where = f"{prefix}objects[{index}]"
        errors.extend(validate_manifest(item, where))
    return errors


def validate_manifest(item, where):
    errors = []
    if not isinstance(item, dict) or not item.get("apiVersion") or not item.get("kind"):
        return [f"{where}: a Kubernetes object needs apiVersion, kind and metadata.name"]
    metadata = item.get("metadata") or {}
    pattern, length, what = (
        (DNS1123_LABEL, 63, "DNS-1123 label")
        if item["kind"] in ("Namespace", "Service")
        else (DNS1123_SUBDOMAIN, 253, "DNS-1123 subdomain")
    )
    _name(metadata.get("name"), f"{where}.metadata.name", errors, pattern, length, what)
    if metadata.get("namespace") is not None:
        _name(metadata.get("namespace"), f"{where}.metadata.namespace", errors)
    if item["kind"] == "HorizontalPodAutoscaler":
        spec = item.get("spec") or {}
        low, high = spec.get("minReplicas", 1), spec.get("maxReplicas")
        if is_int(low) and is_int(high) and low > high:
            errors.append(f"{where}.spec.minReplicas: {low} is more than maxReplicas {high}")
    return errors


def _probe(probe, port):
    out = {"httpGet": {"path": probe["path"], "port": probe.get("port") or port}}
    for field, key in (
        ("initial_delay", "initialDelaySeconds"),
        ("period", "periodSeconds"),
        ("timeout", "timeoutSeconds"),
        ("failure_threshold", "failureThreshold"),
    ):
        if probe.get(field) is not None:
            out[key] = probe[field]
    return out


def _meta(name, namespace, cluster, labels=None, annotations=None):
    metadata = {"name": name, "labels": {**(labels or {}), LABEL_MANAGED_BY: MANAGED_BY, LABEL_CLUSTER: cluster}}
    if namespace:
        metadata["namespace"] = namespace
    if annotations:
        metadata["annotations"] = dict(annotations)
    return metadata


def kube_objects(params, cluster, irsa_role_arns=None):
    """The Kubernetes objects of the spec, in the order they are applied (namespaces first)."""
    irsa_role_arns = irsa_role_arns or {}
    objects = []
    for item in params.get("namespaces") or []:
        namespace = {"name": item} if isinstance(item, str) else item
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": _meta(namespace["name"], None, cluster, namespace.get("labels")),
            }
        )
    for workload in params.get("workloads") or []:
        objects.extend(_workload(workload, cluster, irsa_role_arns))
    for ingress in params.get("ingresses") or []:
        objects.append(_ingress(ingress, cluster))
    for policy in params.get("network_policies") or []:
        spec = {"podSelector": policy.get("pod_selector") or {}}
        for field, key in (("policy_types", "policyTypes"), ("ingress", "ingress"), ("egress", "egress")):
            if policy.get(field) is not None:
                spec[key] = policy[field]
        objects.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": _meta(policy["name"], policy["namespace"], cluster),
                "spec": spec,
            }
        )
    objects.extend(params.get("objects") or [])
    return objects


def _workload(workload, cluster, irsa_role_arns):
    name, namespace, port = workload["name"], workload["namespace"], workload.get("port")
    labels = {"app": name, **(workload.get("labels") or {})}
    found = []
    account = workload.get("service_account")
    account_name = None
    if account:
        account = {"name": account} if isinstance(account, str) else account
        account_name = account["name"]
        role_arn = account.get("role_arn") or irsa_role_arns.get(account.get("irsa_role") or "")
        annotations = {IRSA_ANNOTATION: role_arn} if role_arn else None
        found.append(
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": _meta(account_name, namespace, cluster, {"app": name}, annotations),
            }
        )
    container = {"name": name, "image": workload["image"]}
    for field in ("command", "args"):
        if workload.get(field):
            container[field] = list(workload[field])
    if port:
        container["ports"] = [{"containerPort": port, "name": "http"}]
    env = [{"name": k, "value": str(v)} for k, v in sorted((workload.get("env") or {}).items())]
    for item in workload.get("secret_env") or []:
        env.append({"name": item["name"], "valueFrom": {"secretKeyRef": {"name": item["secret"], "key": item["key"]}}})
    if env:
        container["env"] = env
    env_from = []
    for item in workload.get("env_from") or []:
        if item.get("secret"):
            env_from.append({"secretRef": {"name": item["secret"]}})
        if item.get("config_map"):
            env_from.append({"configMapRef": {"name": item["config_map"]}})
    if env_from:
        container["envFrom"] = env_from
    if workload.get("resources"):
        container["resources"] = {k: dict(v) for k, v in workload["resources"].items() if v}
    if workload.get("liveness_probe"):
        container["livenessProbe"] = _probe(workload["liveness_probe"], port)
    if workload.get("readiness_probe"):
        container["readinessProbe"] = _probe(workload["readiness_probe"], port)
    pod_spec = {"containers": [container]}
    if account_name:
        pod_spec["serviceAccountName"] = account_name
    if workload.get("node_selector"):
        pod_spec["nodeSelector"] = dict(workload["node_selector"])
    if workload.get("tolerations"):
        pod_spec["tolerations"] = list(workload["tolerations"])
    template_meta = {"labels": labels}
    if workload.get("pod_annotations"):
        template_meta["annotations"] = {k: str(v) for k, v in workload["pod_annotations"].items()}
    spec = {
        "replicas": workload.get("replicas", 1),
        "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": template_meta, "spec": pod_spec},
    }
    strategy = workload.get("strategy")
    if strategy:
        spec["strategy"] = {
            "type": "RollingUpdate",
            "rollingUpdate": {
                "maxSurge": strategy.get("max_surge", 1),
                "maxUnavailable": strategy.get("max_unavailable", 0),
            },
        }
    found.append(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": _meta(name, namespace, cluster, labels),
            "spec": spec,
        }
    )
    service = workload.get("service", port is not None)
    if service and port:
        service = service if isinstance(service, dict) else {}
        found.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": _meta(name, namespace, cluster, {"app": name}),
                "spec": {
                    "type": service.get("type", "ClusterIP"),
                    "selector": {"app": name},
                    "ports": [{"port": service.get("port", 80), "targetPort": port, "protocol": "TCP", "name": "http"}],
                },
            }
        )
    hpa = workload.get("hpa")
    if hpa:
        metrics = []
        for resource in ("cpu", "memory"):
            if hpa.get(resource):
                metrics.append(
                    {
                        "type": "Resource",
                        "resource": {
                            "name": resource,
                            "target": {"type": "Utilization", "averageUtilization": hpa[resource]},
                        },
                    }
                )
        metrics.extend(hpa.get("metrics") or [])
        hpa_spec = {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": hpa.get("min", 1),
            "maxReplicas": hpa["max"],
            "metrics": metrics,
        }
        if hpa.get("behavior"):
            hpa_spec["behavior"] = hpa["behavior"]
        found.append(
            {
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": _meta(f"{name}-hpa", namespace, cluster, {"app": name}),
                "spec": hpa_spec,
            }
        )
    return found


def _ingress(ingress, cluster):
    paths = [
        {
            "path": path["path"],
            "pathType": path.get("path_type", "Prefix"),
            "backend": {"service": {"name": path["service"], "port": {"number": path.get("port", 80)}}},
        }
        for path in ingress.get("paths") or []
    ]
    rule = {"http": {"paths": paths}}
    if ingress.get("host"):
        rule["host"] = ingress["host"]
    spec = {"ingressClassName": ingress.get("class", "alb"), "rules": [rule]}
    if ingress.get("tls_hosts"):
        spec["tls"] = [{"hosts": list(ingress["tls_hosts"])}]
    annotations = {k: str(v) for k, v in (ingress.get("annotations") or {}).items()}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": _meta(ingress["name"], ingress["namespace"], cluster, None, annotations),
        "spec": spec,
    }
