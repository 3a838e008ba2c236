# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible_collections.stackops.platform.plugins.module_utils._eks.spec import validate_cluster
from ansible_collections.stackops.platform.plugins.module_utils._kube.spec import kube_objects
from ansible_collections.stackops.platform.plugins.module_utils._kube.spec import validate_kube


def cluster_eks_spec_errors(spec, prefix="cluster_eks_"):
    """Every rule the EKS spec breaks (cluster, node groups, add-ons, Kubernetes objects), naming the variables."""
    spec = dict(spec)
    errors = validate_cluster({k: v for k, v in spec.items() if k != "name"}, prefix=prefix)
    errors.extend(validate_kube(spec, prefix=prefix))
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


def cluster_eks_kube_objects(spec, irsa_role_arns=None, cluster=None):
    """The Kubernetes objects of the spec (namespaces, service accounts, Deployments, Services, HPAs, Ingresses,
    NetworkPolicies, then the raw objects), labelled as the cluster's."""
    spec = dict(spec)
    return kube_objects(spec, cluster or spec.get("name"), dict(irsa_role_arns or {}))


class FilterModule:
    def filters(self):
        return {
            "cluster_eks_spec_errors": cluster_eks_spec_errors,
            "cluster_eks_kube_objects": cluster_eks_kube_objects,
        }
