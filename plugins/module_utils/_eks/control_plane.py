# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The control plane: the cluster (created, or its endpoint access and logging updated) and its version upgrade,
one minor version at a time."""

from __future__ import annotations

from ..platform import client_token
from . import spec as sp


class ControlPlane:
    def __init__(self, owner):
        self.o = owner

    def logging(self, types):
        types = list(types)
        disabled = [t for t in sp.LOG_TYPES if t not in types]
        entries = []
        if types:
            entries.append({"types": types, "enabled": True})
        if disabled:
            entries.append({"types": disabled, "enabled": False})
        return {"clusterLogging": entries}

    def wait_cluster(self):
        o = self.o
        name = o.p["name"]

        def active():
            cluster = o.eks.describe_cluster(name=name, aws_retry=True)["cluster"]
            return cluster if cluster["status"] == "ACTIVE" else None

        found = o.wait(active, f"EKS cluster {name} to become ACTIVE")
        if found:
            o.state.cluster = found  # the endpoint and CA exist only once the cluster is ACTIVE

    def converge(self):
        o = self.o
        name, cluster = o.p["name"], o.state.cluster
        vpc = {
            "endpointPrivateAccess": o.p["endpoint_private_access"],
            "endpointPublicAccess": o.p["endpoint_public_access"],
        }
        if o.p["endpoint_public_access"]:
            vpc["publicAccessCidrs"] = o.public_cidrs()
        if not cluster:
            request = {
                "name": name,
                "version": o.p["version"],
                "roleArn": o.role_arns["cluster"],
                "resourcesVpcConfig": {
                    **vpc,
                    "subnetIds": o.subnet_ids,
                    "securityGroupIds": o.security_group_ids,
                },
                "logging": self.logging(o.p.get("log_types") or []),
                "tags": o.tags(name),
                "clientRequestToken": client_token(),
            }
            if o.state.kms_key_arn:
                request["encryptionConfig"] = [{"resources": ["secrets"], "provider": {"keyArn": o.state.kms_key_arn}}]
            if o.changes.add(f"create EKS cluster {name} (Kubernetes {o.p['version']})"):
                o.state.cluster = o.after_role_propagation(
                    lambda: o.eks.create_cluster(aws_retry=True, **request), f"EKS to accept the roles of {name}"
                )["cluster"]
                self.wait_cluster()
            return
        before = o.before_snapshot["cluster"]
        after = o.after()["cluster"]
        if (
            before["endpoint_private_access"] != after["endpoint_private_access"]
            or before["endpoint_public_access"] != after["endpoint_public_access"]
            or (after["endpoint_public_access"] and before["public_access_cidrs"] != after["public_access_cidrs"])
        ):
            private = "on" if after["endpoint_private_access"] else "off"
            public = f"from {', '.join(after['public_access_cidrs'])}" if after["endpoint_public_access"] else "off"
            if o.changes.add(
                f"update the API endpoint access of EKS cluster {name} (private {private}, public {public})"
            ):
                update = o.eks.update_cluster_config(name=name, resourcesVpcConfig=vpc, aws_retry=True)["update"]
                o.wait_update(update)
        if before["log_types"] != after["log_types"]:
            if o.changes.add(
                f"set the control-plane logs of EKS cluster {name} to {', '.join(after['log_types']) or 'none'}"
            ):
                update = o.eks.update_cluster_config(
                    name=name, logging=self.logging(o.p.get("log_types") or []), aws_retry=True
                )["update"]
                o.wait_update(update)
        if o.state.kms_key_arn and not cluster.get("encryptionConfig"):
            if o.changes.add(f"turn on secrets encryption of EKS cluster {name}"):
                update = o.eks.associate_encryption_config(
                    clusterName=name,
                    encryptionConfig=[{"resources": ["secrets"], "provider": {"keyArn": o.state.kms_key_arn}}],
                    aws_retry=True,
                )["update"]
                o.wait_update(update)
        elif o.state.kms_key_arn:
            have = cluster["encryptionConfig"][0].get("provider", {}).get("keyArn")
            if have != o.state.kms_key_arn:
                o.warnings.append(
                    f"EKS cluster {name} encrypts secrets with {have}; EKS cannot change the key ({o.var('secrets_kms_key')})"
                )
        o.tag_resource(cluster["arn"], cluster.get("tags") or {}, o.tags(name), f"EKS cluster {name}")

    def upgrade(self):
        o = self.o
        cluster = o.state.cluster
        if not cluster or o.before_snapshot["cluster"] is None:
            return
        current, wanted = o.before_snapshot["cluster"]["version"], o.p["version"]
        if current == wanted:
            return
        for step in sp.upgrade_path(current, wanted):
            if o.changes.add(f"upgrade the control plane of EKS cluster {o.p['name']} to Kubernetes {step}"):
                update = o.eks.update_cluster_version(
                    name=o.p["name"], version=step, clientRequestToken=client_token(), aws_retry=True
                )["update"]
                o.wait_update(update)

    # OIDC and IRSA ------------------------------------------------------------------------------------------------
