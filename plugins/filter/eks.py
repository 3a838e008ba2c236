# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible_collections.stackops.platform.plugins.module_utils._eks.spec import validate_cluster
from ansible_collections.stackops.platform.plugins.module_utils._kube.spec import kube_objects
from ansible_collections.stackops.platform.plugins.module_utils._kube.spec import validate_kube

# A workload's ``connections`` put the ARN of a connection secret (created by the security tier, filled by the data
# tiers with host, port, ... as JSON) in an environment variable; the workload reads it with its IRSA role.
CONNECTIONS = {
    "database": ("database_connection", "DATABASE_CONNECTION_SECRET_ARN"),
    "cache": ("cache_connection", "CACHE_CONNECTION_SECRET_ARN"),
}


def _without_connections(spec):
    workloads = [
        {k: v for k, v in w.items() if k != "connections"} if isinstance(w, dict) else w
        for w in spec.get("workloads") or []
    ]
    return {**spec, "workloads": workloads}


def _connection_errors(spec, prefix):
    errors = []
    for index, workload in enumerate(spec.get("workloads") or []):
        connections = workload.get("connections") if isinstance(workload, dict) else None
        if connections is None:
            continue
        where = f"{prefix}workloads[{index}].connections"
        if not isinstance(connections, list):
            errors.append(f"{where}: must be a list ({', '.join(CONNECTIONS)})")
            continue
        for position, connection in enumerate(connections):
            if connection not in CONNECTIONS:
                errors.append(f"{where}[{position}]: {connection!r} is not a connection ({', '.join(CONNECTIONS)})")
            elif CONNECTIONS[connection][1] in (workload.get("env") or {}):
                errors.append(f"{where}[{position}]: {CONNECTIONS[connection][1]} is also set in env")
    return errors


def cluster_eks_spec_errors(spec, prefix="cluster_eks_"):
    """Every rule the EKS spec breaks (cluster, node groups, add-ons, Kubernetes objects), naming the variables."""
    spec = dict(spec)
    errors = validate_cluster({k: v for k, v in spec.items() if k != "name"}, prefix=prefix)
    errors.extend(validate_kube(_without_connections(spec), prefix=prefix))
    errors.extend(_connection_errors(spec, prefix))
    for index, workload in enumerate(spec.get("workloads") or []):
        account = workload.get("service_account") if isinstance(workload, dict) else None
        role = account.get("irsa_role") if isinstance(account, dict) else None
        if role and role not in {r.get("name") for r in spec.get("irsa_roles") or [] if isinstance(r, dict)}:
            errors.append(
                f"{prefix}workloads[{index}].service_account.irsa_role: {role!r} is not in {prefix}irsa_roles"
            )
    for index, addon in enumerate(spec.get("addons") or []):
        role = addon.get("irsa_role") if isinstance(addon, dict) else None
        if role and role not in {r.get("name") for r in spec.get("irsa_roles") or [] if isinstance(r, dict)}:
            errors.append(f"{prefix}addons[{index}].irsa_role: {role!r} is not in {prefix}irsa_roles")
    errors.extend(_metrics_server_errors(spec, prefix))
    return errors


def _resource_metric_hpas(spec, prefix):
    """Where the spec asks for an HPA scaling on CPU or memory (which it reads from the Metrics Server)."""
    for index, workload in enumerate(spec.get("workloads") or []):
        hpa = workload.get("hpa") if isinstance(workload, dict) else None
        if not isinstance(hpa, dict):
            continue
        metrics = hpa.get("metrics") or []
        if (
            hpa.get("cpu")
            or hpa.get("memory")
            or any(isinstance(m, dict) and m.get("type") == "Resource" for m in metrics)
        ):
            yield f"{prefix}workloads[{index}].hpa"
    for index, item in enumerate(spec.get("objects") or []):
        if isinstance(item, dict) and item.get("kind") == "HorizontalPodAutoscaler":
            metrics = (item.get("spec") or {}).get("metrics") or [{"type": "Resource"}]  # the default: 80% CPU
            if any(isinstance(m, dict) and m.get("type") in ("Resource", "ContainerResource") for m in metrics):
                yield f"{prefix}objects[{index}]"


def _metrics_server_errors(spec, prefix):
    addons = {a.get("name") for a in spec.get("addons") or [] if isinstance(a, dict)}
    if "metrics-server" in addons:
        return []
    return [
        f"{where}: scales on CPU or memory, which a HorizontalPodAutoscaler reads from the Kubernetes Metrics "
        f"Server, and EKS does not run one by default; add {{name: metrics-server}} to {prefix}addons (an EKS "
        "community add-on)"
        for where in _resource_metric_hpas(spec, prefix)
    ]


def cluster_eks_kube_objects(spec, irsa_role_arns=None, cluster=None, secret_arns=None):
    """The Kubernetes objects of the spec (namespaces, service accounts, Deployments, Services, HPAs, Ingresses,
    NetworkPolicies, then the raw objects), labelled as the cluster's. ``secret_arns`` ({security secret key: ARN})
    gives the workloads' ``connections`` their secret ARNs."""
    spec = dict(spec)
    arns = {}
    for key, value in (secret_arns or {}).items():
        arns[key] = value.get("arn") if isinstance(value, dict) else value
    workloads = []
    for workload in spec.get("workloads") or []:
        if not (isinstance(workload, dict) and workload.get("connections")):
            workloads.append(workload)
            continue
        env = dict(workload.get("env") or {})
        for connection in workload["connections"]:
            key, variable = CONNECTIONS[connection]
            env[variable] = arns.get(key) or ""
        workloads.append({**{k: v for k, v in workload.items() if k != "connections"}, "env": env})
    spec["workloads"] = workloads
    return kube_objects(spec, cluster or spec.get("name"), dict(irsa_role_arns or {}))


class FilterModule:
    def filters(self):
        return {
            "cluster_eks_spec_errors": cluster_eks_spec_errors,
            "cluster_eks_kube_objects": cluster_eks_kube_objects,
        }
