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
    return errors


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
