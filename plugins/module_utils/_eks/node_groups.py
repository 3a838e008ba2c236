# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Managed node groups: created, or their scaling, labels, taints, version and tags updated in place."""

from __future__ import annotations

from ..platform import ReconcileError
from ..platform import client_token
from . import spec as sp


class NodeGroups:
    def __init__(self, owner):
        self.o = owner

    def check(self):
        """What EKS cannot change on an existing node group, and its version step, refused before any write."""
        o = self.o
        for index, group in enumerate(o.p.get("node_groups") or []):
            current = o.state.node_groups.get(group["name"])
            if not current:
                continue
            where = f"{o.var('node_groups')}[{index}]"
            problems = []
            if sorted(current.get("instanceTypes") or []) != sorted(group["instance_types"]):
                problems.append(f"{where}.instance_types: {current.get('instanceTypes')} -> {group['instance_types']}")
            if (current.get("capacityType") or "ON_DEMAND") != group["capacity_type"]:
                problems.append(f"{where}.capacity_type: {current.get('capacityType')} -> {group['capacity_type']}")
            if group.get("disk_size") and int(current.get("diskSize") or 0) != group["disk_size"]:
                problems.append(f"{where}.disk_size: {current.get('diskSize')} -> {group['disk_size']}")
            if group.get("ami_type") and current.get("amiType") and current["amiType"] != group["ami_type"]:
                problems.append(f"{where}.ami_type: {current['amiType']} -> {group['ami_type']}")
            if problems:
                raise ReconcileError(
                    "EKS cannot change these on an existing node group (it must be replaced: give it a new name, "
                    "converge, then remove the old one): " + "; ".join(problems)
                )
            wanted = group.get("version") or o.p["version"]
            problem = sp.check_upgrade(current.get("version"), wanted, f"{where}.version")
            if problem:
                raise ReconcileError(problem)

    def desired_group(self, group, existing=None):
        o = self.o
        view = {
            "instance_types": list(group["instance_types"]),
            "capacity_type": group["capacity_type"],
            "min_size": group["min_size"],
            "max_size": group["max_size"],
            "desired_size": group.get("desired_size", group["min_size"]),
            "disk_size": group.get("disk_size"),
            "labels": dict(group.get("labels") or {}),
            "taints": sorted(
                f"{t['key']}={t.get('value') or ''}:{sp.TAINT_EFFECTS_API.get(t['effect'], t['effect'])}"
                for t in group.get("taints") or []
            ),
            "max_unavailable": group.get("max_unavailable"),
            "max_unavailable_percentage": group.get("max_unavailable_percentage"),
            "version": group.get("version") or o.p["version"],
        }
        if view["max_unavailable"] is None and view["max_unavailable_percentage"] is None:
            view["max_unavailable"] = 1
        if group.get("desired_size") is None and existing:
            # Unset desired size: leave what the cluster autoscaler chose, within min..max.
            current = existing["desired_size"]
            if current is not None and group["min_size"] <= current <= group["max_size"]:
                view["desired_size"] = current
        return view

    def converge(self):
        o = self.o
        name = o.p["name"]
        before = o.before_snapshot["node_groups"]
        for group in o.p.get("node_groups") or []:
            group_name = group["name"]
            want = self.desired_group(group, before.get(group_name))
            update_config = (
                {"maxUnavailable": want["max_unavailable"]}
                if want["max_unavailable"] is not None
                else {"maxUnavailablePercentage": want["max_unavailable_percentage"]}
            )
            scaling = {"minSize": want["min_size"], "maxSize": want["max_size"], "desiredSize": want["desired_size"]}
            taints = [sp.taint_to_api(t) for t in group.get("taints") or []]
            current = o.state.node_groups.get(group_name)
            if not current:
                request = {
                    "clusterName": name,
                    "nodegroupName": group_name,
                    "scalingConfig": scaling,
                    "subnets": list(group.get("subnet_ids") or o.subnet_ids),
                    "instanceTypes": want["instance_types"],
                    "capacityType": want["capacity_type"],
                    "nodeRole": o.role_arns["nodes"],
                    "labels": want["labels"],
                    "taints": taints,
                    "updateConfig": update_config,
                    "version": want["version"],
                    "tags": o.tags(f"{name}-{group_name}", **{"stackops:node-group": group_name}),
                    "clientRequestToken": client_token(),
                }
                if want["disk_size"]:
                    request["diskSize"] = want["disk_size"]
                if group.get("ami_type"):
                    request["amiType"] = group["ami_type"]
                sentence = (
                    f"create node group {group_name} ({want['capacity_type']} {', '.join(want['instance_types'])}, "
                    f"{want['min_size']}-{want['max_size']} nodes, desired {want['desired_size']})"
                )
                if o.changes.add(sentence):
                    o.after_role_propagation(
                        lambda r=request: o.eks.create_nodegroup(aws_retry=True, **r),
                        f"EKS to accept the node role for {group_name}",
                    )
                    o.wait(
                        lambda g=group_name: (
                            o.eks.describe_nodegroup(clusterName=name, nodegroupName=g, aws_retry=True)["nodegroup"][
                                "status"
                            ]
                            == "ACTIVE"
                        ),
                        f"node group {group_name} to become ACTIVE",
                    )
                continue
            have = before[group_name]
            config = {}
            if (have["min_size"], have["max_size"], have["desired_size"]) != (
                want["min_size"],
                want["max_size"],
                want["desired_size"],
            ):
                config["scalingConfig"] = scaling
            if have["labels"] != want["labels"]:
                labels = {}
                add = {k: v for k, v in want["labels"].items() if have["labels"].get(k) != v}
                remove = [k for k in have["labels"] if k not in want["labels"]]
                if add:
                    labels["addOrUpdateLabels"] = add
                if remove:
                    labels["removeLabels"] = remove
                config["labels"] = labels
            if have["taints"] != want["taints"]:
                have_api = {(t["key"], t["effect"]): t for t in current.get("taints") or []}
                want_api = {(t["key"], t["effect"]): t for t in taints}
                update = {}
                add = [t for k, t in want_api.items() if have_api.get(k) != t]
                remove = [t for k, t in have_api.items() if k not in want_api]
                if add:
                    update["addOrUpdateTaints"] = add
                if remove:
                    update["removeTaints"] = remove
                config["taints"] = update
            if (have["max_unavailable"], have["max_unavailable_percentage"]) != (
                want["max_unavailable"],
                want["max_unavailable_percentage"],
            ):
                config["updateConfig"] = update_config
            if config:
                what = ", ".join(
                    {
                        "scalingConfig": "scaling",
                        "labels": "labels",
                        "taints": "taints",
                        "updateConfig": "max unavailable",
                    }[k]
                    for k in config
                )
                if o.changes.add(f"update node group {group_name}: {what}"):
                    update = o.eks.update_nodegroup_config(
                        clusterName=name,
                        nodegroupName=group_name,
                        clientRequestToken=client_token(),
                        aws_retry=True,
                        **config,
                    )["update"]
                    o.wait_update(update, group_name)
            if have["version"] != want["version"]:
                if o.changes.add(f"upgrade node group {group_name} to Kubernetes {want['version']}"):
                    update = o.eks.update_nodegroup_version(
                        clusterName=name,
                        nodegroupName=group_name,
                        version=want["version"],
                        clientRequestToken=client_token(),
                        aws_retry=True,
                    )["update"]
                    o.wait_update(update, group_name)
            want_tags = o.tags(f"{name}-{group_name}", **{"stackops:node-group": group_name})
            o.tag_resource(current["nodegroupArn"], current.get("tags") or {}, want_tags, f"node group {group_name}")
        wanted = {g["name"] for g in o.p.get("node_groups") or []}
        for group_name in sorted(set(o.state.node_groups) - wanted):
            if not o.p["purge_node_groups"]:
                o.warnings.append(
                    f"node group {group_name} is not in {o.var('node_groups')} (purge_node_groups is off)"
                )
            elif o.changes.add(f"delete node group {group_name}"):
                o.eks.delete_nodegroup(clusterName=name, nodegroupName=group_name, aws_retry=True)

    # add-ons ------------------------------------------------------------------------------------------------------
