"""EKS updates: cluster config and version, node group config and version, encryption, DescribeUpdate.

AWS (https://docs.aws.amazon.com/eks/latest/APIReference/):
- UpdateClusterConfig changes the endpoint access (``resourcesVpcConfig``: endpointPublicAccess,
  endpointPrivateAccess, publicAccessCidrs, subnetIds, securityGroupIds, each only when given) *or* the
  logging of a cluster, and returns an ``update``; moto replaces the whole VPC configuration with the request's
  (losing the subnets) and returns the cluster instead.
- UpdateClusterVersion "updates an Amazon EKS cluster to the specified Kubernetes version"; "you can update
  one minor version at a time" (the user guide's update-cluster page). moto does not implement it.
- UpdateNodegroupVersion updates a node group to the cluster's Kubernetes version (or an older one it names);
  a node group cannot be newer than its control plane. moto does not implement it.
- AssociateEncryptionConfig turns on envelope encryption of secrets on an existing cluster.
- CreateNodegroup takes ``updateConfig``; moto drops it.
- DescribeUpdate returns an update by id. The emulator applies every update at once (status Successful).
"""

from __future__ import annotations

import re

from ._eks_common import CLUSTER_PATH
from ._eks_common import UPDATES
from ._eks_common import answer
from ._eks_common import body_of
from ._eks_common import error
from ._eks_common import moto_cluster
from ._eks_common import path_of
from ._eks_common import record_update

_VPC_FIELDS = ("endpointPublicAccess", "endpointPrivateAccess", "publicAccessCidrs", "subnetIds", "securityGroupIds")


def _minor(version):
    major, minor = str(version).split(".")[:2]
    return int(major), int(minor)


class EksUpdates:
    name = "eks-updates"
    summary = (
        "UpdateClusterConfig merges and returns an update; UpdateClusterVersion (one minor at a time), "
        "UpdateNodegroupVersion, AssociateEncryptionConfig, DescribeUpdate; CreateNodegroup keeps updateConfig"
    )
    documented_by = "https://docs.aws.amazon.com/eks/latest/APIReference/API_UpdateClusterVersion.html"

    def reset(self):
        UPDATES.clear()

    def __call__(self, request, forward):
        call = request.call
        if call.service != "eks":
            return forward(request)
        operation = call.operation
        handler = getattr(self, f"_{operation}", None)
        if handler is None:
            response = forward(request)
            if operation == "UpdateNodegroupConfig" and response.ok:
                import json

                payload = json.loads(response.body)
                match = CLUSTER_PATH.match(path_of(request))
                nodegroup = re.search(r"/node-groups/([^/]+)/", path_of(request))
                UPDATES[payload["update"]["id"]] = (
                    match.group("cluster"),
                    nodegroup.group(1) if nodegroup else None,
                    None,
                    payload["update"],
                )
            return response
        match = CLUSTER_PATH.match(path_of(request))
        name = match.group("cluster") if match else None
        cluster = moto_cluster(call.region, name) if name else None
        if cluster is None:
            return error(call, 404, "ResourceNotFoundException", f"No cluster found for name: {name}.")
        return handler(call, request, cluster, forward)

    # -- cluster -----------------------------------------------------------------------------------------------

    def _UpdateClusterConfig(self, call, request, cluster, forward):
        body = body_of(request)
        vpc, logging = body.get("resourcesVpcConfig"), body.get("logging")
        if vpc and logging:
            return error(
                call, 400, "InvalidParameterException", "Only one type of update can be allowed (logging or VPC config)"
            )
        params = []
        if vpc:
            merged = dict(cluster.resources_vpc_config or {})
            for field in _VPC_FIELDS:
                if field in vpc:
                    merged[field] = vpc[field]
                    params.append((field[0].upper() + field[1:], vpc[field]))
            if merged.get("endpointPublicAccess") is False:
                merged["publicAccessCidrs"] = ["0.0.0.0/0"]
            cluster.resources_vpc_config = merged
            kind = "EndpointAccessUpdate"
        elif logging:
            enabled = {
                t
                for entry in (cluster.logging or {}).get("clusterLogging", [])
                if entry.get("enabled")
                for t in entry["types"]
            }
            for entry in logging.get("clusterLogging", []):
                for log_type in entry.get("types", []):
                    (enabled.add if entry.get("enabled") else enabled.discard)(log_type)
            all_types = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
            on, off = [t for t in all_types if t in enabled], [t for t in all_types if t not in enabled]
            cluster.logging = {
                "clusterLogging": [
                    e for e in ({"types": on, "enabled": True}, {"types": off, "enabled": False}) if e["types"]
                ]
            }
            params.append(("ClusterLogging", logging))
            kind = "LoggingUpdate"
        else:
            return error(call, 400, "InvalidParameterException", "No changes needed")
        return answer({"update": record_update(cluster.name, kind, params)})

    def _UpdateClusterVersion(self, call, request, cluster, forward):
        version = str(body_of(request).get("version", ""))
        try:
            have, want = _minor(cluster.version), _minor(version)
        except ValueError:
            return error(call, 400, "InvalidParameterException", f"Invalid Kubernetes version {version}")
        if want == have:
            return error(call, 400, "InvalidParameterException", f"Cluster is already at the desired version {version}")
        if want < have or want[1] != have[1] + 1:
            return error(
                call,
                400,
                "InvalidParameterException",
                f"Unsupported Kubernetes minor version update from {cluster.version} to {version}",
            )
        cluster.version = version
        cluster.platformVersion = "eks.1"
        return answer(
            {
                "update": record_update(
                    cluster.name, "VersionUpdate", [("Version", version), ("PlatformVersion", "eks.1")]
                )
            }
        )

    def _AssociateEncryptionConfig(self, call, request, cluster, forward):
        if cluster.encryption_config:
            return error(call, 400, "InvalidRequestException", "Encryption is already enabled on the cluster")
        config = body_of(request).get("encryptionConfig") or []
        cluster.encryption_config = config
        return answer(
            {"update": record_update(cluster.name, "AssociateEncryptionConfig", [("EncryptionConfig", config)])}
        )

    # -- node groups -------------------------------------------------------------------------------------------

    def _CreateNodegroup(self, call, request, cluster, forward):
        response = forward(request)
        body = body_of(request)
        if response.ok:
            group = cluster.nodegroups.get(body.get("nodegroupName"))
            if group is not None:
                group.update_config = body.get("updateConfig") or {"maxUnavailable": 1}
                if body.get("version"):
                    group.release_version = f"{body['version']}.0-20240101"
        return response

    def _UpdateNodegroupVersion(self, call, request, cluster, forward):
        name = re.search(r"/node-groups/([^/]+)/update-version", path_of(request)).group(1)
        group = cluster.nodegroups.get(name)
        if group is None:
            return error(call, 404, "ResourceNotFoundException", f"No node group found for name: {name}.")
        version = str(body_of(request).get("version") or cluster.version)
        if _minor(version) > _minor(cluster.version):
            return error(
                call,
                400,
                "InvalidParameterException",
                f"Requested Nodegroup version {version} is newer than the cluster version {cluster.version}",
            )
        if version == group.version:
            return error(call, 400, "InvalidParameterException", f"Nodegroup is already at version {version}")
        group.version = version
        group.release_version = f"{version}.0-20240101"
        update = record_update(
            cluster.name, "VersionUpdate", [("Version", version), ("ReleaseVersion", group.release_version)], name
        )
        return answer({"update": update})

    def _DescribeUpdate(self, call, request, cluster, forward):
        update_id = path_of(request).rstrip("/").rsplit("/", 1)[-1]
        found = UPDATES.get(update_id)
        if found is None or found[0] != cluster.name:
            return error(call, 404, "ResourceNotFoundException", f"No update found for ID: {update_id}")
        return answer({"update": found[3]})
