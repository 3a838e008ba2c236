"""EKS makes a security group for every cluster and puts it on the nodes of managed node groups.

AWS, "View Amazon EKS security group requirements for clusters"
(https://docs.aws.amazon.com/eks/latest/userguide/sec-group-reqs.html): "When you create a cluster, Amazon EKS
creates a security group that's named ``eks-cluster-sg-my-cluster-uniqueID``" with an inbound rule for all
traffic from itself and outbound to 0.0.0.0/0, tagged ``kubernetes.io/cluster/my-cluster: owned``,
``aws:eks:cluster-name: my-cluster`` and ``Name: eks-cluster-sg-my-cluster-uniqueID``; DescribeCluster reports
it as ``resourcesVpcConfig.clusterSecurityGroupId``, "the cluster security group that was created by Amazon EKS
for the cluster. Managed node groups use this security group for control-plane-to-data-plane communication"
(https://docs.aws.amazon.com/eks/latest/APIReference/API_VpcConfigResponse.html).

Managed node groups "are always deployed with a launch template to be used with the Amazon EC2 Auto Scaling
group. When you don't provide a launch template, the Amazon EKS API creates one automatically with default
values in your account" (https://docs.aws.amazon.com/eks/latest/userguide/launch-templates.html); that template
gives the nodes the cluster security group only. With a launch template of your own that names security groups,
"Amazon EKS doesn't add the cluster security group" (same page): the nodes get the template's groups.
DescribeNodegroup names the node group's Auto Scaling group in ``resources.autoScalingGroups``.

moto 5.2 creates no security group, reports no ``clusterSecurityGroupId``, and names an Auto Scaling group
that does not exist, so nothing could show which groups the nodes carry. This behaviour lets moto act, then:
- CreateCluster: creates the group (tags and rules as above) in the VPC of the cluster's subnets and records
  it in the cluster's ``resourcesVpcConfig`` (with ``vpcId``); DeleteCluster deletes it.
- CreateNodegroup: creates the launch template EKS would (``eks-<uuid>``: the cluster security group, or the
  groups of the node group's own launch template) and the Auto Scaling group DescribeNodegroup names, whose
  instances (moto launches them) carry those groups; UpdateNodegroupConfig resizes it, DeleteNodegroup
  deletes both.
"""

from __future__ import annotations

import json
import uuid

from ._eks_common import CLUSTER_PATH
from ._eks_common import body_of
from ._eks_common import moto_cluster
from ._eks_common import path_of

DESCRIPTION = (
    "EKS created security group applied to ENI that is attached to EKS Control Plane master nodes, "
    "as well as any managed workloads."
)


def _backends(cluster):
    from moto.autoscaling.models import autoscaling_backends
    from moto.ec2.models import ec2_backends

    account, region = cluster.arn.split(":")[4], cluster.arn.split(":")[3]
    return ec2_backends[account][region], autoscaling_backends[account][region]


def _vpc_of(ec2, subnet_ids):
    for subnet_id in subnet_ids or []:
        try:
            return ec2.get_subnet(subnet_id).vpc_id
        except Exception:  # an unknown subnet: moto accepted it, so does the emulator
            continue
    return None


def _create_cluster_group(cluster):
    ec2, _autoscaling = _backends(cluster)
    config = dict(cluster.resources_vpc_config or {})
    vpc_id = _vpc_of(ec2, config.get("subnetIds"))
    if vpc_id is None:
        return
    name = f"eks-cluster-sg-{cluster.name}-{uuid.uuid4().int % 10**10}"
    tags = {"Name": name, "aws:eks:cluster-name": cluster.name, f"kubernetes.io/cluster/{cluster.name}": "owned"}
    group = ec2.create_security_group(name, DESCRIPTION, vpc_id=vpc_id, tags=tags)
    ec2.authorize_security_group_ingress(group.id, "-1", None, None, [], source_groups=[{"GroupId": group.id}])
    config.update(clusterSecurityGroupId=group.id, vpcId=vpc_id)
    cluster.resources_vpc_config = config


def _delete_cluster_group(cluster):
    group_id = (cluster.resources_vpc_config or {}).get("clusterSecurityGroupId")
    if not group_id:
        return
    ec2, _autoscaling = _backends(cluster)
    try:
        ec2.delete_security_group(group_id=group_id)
    except Exception:  # still referenced (AWS retries until it is not); the emulator leaves it
        pass


def _node_group_groups(ec2, cluster, nodegroup):
    """The security groups EKS puts on a node group's instances."""
    template = nodegroup.launch_template or {}
    if template.get("id"):
        try:
            found = ec2.describe_launch_templates(template_ids=[template["id"]])[0]
            version = found.get_version(template.get("version") or found.default_version_number)
            groups = list(version.data.get("SecurityGroupId") or version.data.get("SecurityGroupIds") or [])
            if groups:
                return groups
        except Exception:  # an unreadable template: fall back to what EKS does without one
            pass
    group_id = (cluster.resources_vpc_config or {}).get("clusterSecurityGroupId")
    return [group_id] if group_id else []


def _create_node_group(cluster, nodegroup):
    ec2, autoscaling = _backends(cluster)
    groups = _node_group_groups(ec2, cluster, nodegroup)
    asg_name = nodegroup.resources["autoScalingGroups"][0]["name"]
    template = ec2.create_launch_template(
        asg_name,
        "EKS managed node group launch template",
        {"SecurityGroupIds": groups, "InstanceType": (nodegroup.instance_types or ["t3.medium"])[0]},
        {},
    )
    scaling = nodegroup.scaling_config or {}
    tags = [
        {
            "Key": key,
            "Value": value,
            "PropagateAtLaunch": True,
            "ResourceId": asg_name,
            "ResourceType": "auto-scaling-group",
        }
        for key, value in {
            "eks:cluster-name": cluster.name,
            "eks:nodegroup-name": nodegroup.nodegroup_name,
            f"kubernetes.io/cluster/{cluster.name}": "owned",
        }.items()
    ]
    autoscaling.create_auto_scaling_group(
        name=asg_name,
        availability_zones=[],
        desired_capacity=scaling.get("desiredSize", scaling.get("minSize", 0)),
        max_size=scaling.get("maxSize", 1),
        min_size=scaling.get("minSize", 0),
        launch_config_name=None,
        launch_template={"LaunchTemplateId": template.id, "Version": "1"},
        vpc_zone_identifier=",".join(nodegroup.subnets or []),
        default_cooldown=None,
        health_check_period=None,
        health_check_type=None,
        load_balancers=[],
        target_group_arns=[],
        placement_group=None,
        termination_policies=[],
        tags=tags,
    )


def _resize_node_group(cluster, nodegroup):
    _ec2, autoscaling = _backends(cluster)
    asg_name = nodegroup.resources["autoScalingGroups"][0]["name"]
    if asg_name not in autoscaling.autoscaling_groups:
        return
    scaling = nodegroup.scaling_config or {}
    group = autoscaling.autoscaling_groups[asg_name]
    group.min_size, group.max_size = scaling.get("minSize", group.min_size), scaling.get("maxSize", group.max_size)
    group.set_desired_capacity(scaling.get("desiredSize", group.desired_capacity))


def _delete_node_group(cluster, nodegroup):
    ec2, autoscaling = _backends(cluster)
    asg_name = nodegroup.resources["autoScalingGroups"][0]["name"]
    if asg_name in autoscaling.autoscaling_groups:
        autoscaling.autoscaling_groups[asg_name].set_desired_capacity(0)
        autoscaling.delete_auto_scaling_group(asg_name)
    try:
        ec2.delete_launch_template(asg_name, None)
    except Exception:  # never created (a node group older than this behaviour)
        pass


class EksClusterSecurityGroup:
    name = "eks-cluster-security-group"
    summary = (
        "EKS creates each cluster's security group (clusterSecurityGroupId) and puts it on managed node groups' "
        "instances (an Auto Scaling group and launch template per node group) unless their own launch template "
        "names groups"
    )
    documented_by = "https://docs.aws.amazon.com/eks/latest/userguide/sec-group-reqs.html"

    def reset(self):
        pass

    def __call__(self, request, forward):
        call = request.call
        operation = call.operation
        if call.service != "eks" or operation not in (
            "CreateCluster",
            "DeleteCluster",
            "CreateNodegroup",
            "UpdateNodegroupConfig",
            "DeleteNodegroup",
        ):
            return forward(request)
        match = CLUSTER_PATH.match(path_of(request))
        cluster_name = match.group("cluster") if match else None
        before = moto_cluster(call.region, cluster_name) if cluster_name else None
        doomed = None
        if operation == "DeleteNodegroup" and before is not None:
            doomed = before.nodegroups.get(path_of(request).rstrip("/").rsplit("/", 1)[-1])
        response = forward(request)
        if not response.ok:
            return response
        try:
            if operation == "CreateCluster":
                cluster = moto_cluster(call.region, body_of(request).get("name"))
                if cluster is not None:
                    _create_cluster_group(cluster)
                    return _with_vpc_config(response, cluster)
            elif operation == "DeleteCluster" and before is not None:
                _delete_cluster_group(before)
            elif operation == "CreateNodegroup" and before is not None:
                group = before.nodegroups.get(body_of(request).get("nodegroupName"))
                if group is not None:
                    _create_node_group(before, group)
            elif operation == "UpdateNodegroupConfig" and before is not None:
                group = before.nodegroups.get(path_of(request).rstrip("/").split("/")[-2])
                if group is not None:
                    _resize_node_group(before, group)
            elif operation == "DeleteNodegroup" and doomed is not None:
                _delete_node_group(before, doomed)
        except Exception:  # made-up subnet ids (moto accepts them): no VPC, nothing to model
            pass
        return response


def _with_vpc_config(response, cluster):
    payload = json.loads(response.body)
    if "cluster" not in payload:
        return response
    payload["cluster"]["resourcesVpcConfig"] = dict(cluster.resources_vpc_config)
    body = json.dumps(payload, default=str).encode()
    headers = [(k, v) for k, v in response.headers if k.lower() != "content-length"]
    return type(response)(response.status, headers + [("Content-Length", str(len(body)))], body)
