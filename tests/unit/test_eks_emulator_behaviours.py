"""The emulator's EKS behaviours: add-ons, version and config updates, DescribeUpdate, the Kubernetes endpoint."""

from __future__ import annotations

import base64

import pytest
from botocore.exceptions import ClientError


@pytest.fixture(scope="module")
def account(emulator_session):
    """One reset for the module (a reset reloads every AWS managed IAM policy: seconds)."""
    emulator_session.reset()
    iam = emulator_session.boto3_client("iam")
    role = iam.create_role(RoleName="eks", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    return emulator_session, role


@pytest.fixture
def cluster(account, request):
    """A new cluster per test, named after the test."""
    emulator, role = account
    eks = emulator.boto3_client("eks")
    name = request.node.name.removeprefix("test_")[:40].replace("_", "-")
    eks.create_cluster(
        name=name,
        version="1.28",
        roleArn=role,
        resourcesVpcConfig={"subnetIds": ["subnet-1", "subnet-2"], "endpointPublicAccess": True},
    )
    return eks, role, name


def test_behaviours_are_listed(account):
    names = {b["name"] for b in account[0].behaviours()}
    assert {"eks-addons", "eks-updates", "eks-kube-endpoint"} <= names


def test_addon_lifecycle(cluster):
    eks, _role, c1 = cluster
    versions = eks.describe_addon_versions(kubernetesVersion="1.28", addonName="kube-proxy")["addons"][0]
    default = next(v for v in versions["addonVersions"] if v["compatibilities"][0]["defaultVersion"])
    addon = eks.create_addon(clusterName=c1, addonName="kube-proxy", tags={"team": "platform"})["addon"]
    assert addon["addonVersion"] == default["addonVersion"] and addon["status"] == "ACTIVE"
    with pytest.raises(ClientError, match="ResourceInUseException"):
        eks.create_addon(clusterName=c1, addonName="kube-proxy")
    with pytest.raises(ClientError, match="InvalidParameterException"):
        eks.create_addon(clusterName=c1, addonName="coredns", addonVersion="v1.11.3-eksbuild.11")  # a 1.31 build
    with pytest.raises(ClientError, match="InvalidParameterException"):
        eks.create_addon(clusterName=c1, addonName="aws-load-balancer-controller")
    assert eks.list_addons(clusterName=c1)["addons"] == ["kube-proxy"]
    update = eks.update_addon(clusterName=c1, addonName="kube-proxy", addonVersion="v1.28.0-eksbuild.1")["update"]
    described = eks.describe_update(name=c1, updateId=update["id"], addonName="kube-proxy")["update"]
    assert described["type"] == "AddonUpdate" and described["status"] == "Successful"
    assert eks.describe_addon(clusterName=c1, addonName="kube-proxy")["addon"]["addonVersion"] == "v1.28.0-eksbuild.1"
    assert eks.list_tags_for_resource(resourceArn=addon["addonArn"])["tags"] == {"team": "platform"}
    assert eks.delete_addon(clusterName=c1, addonName="kube-proxy")["addon"]["status"] == "DELETING"
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        eks.describe_addon(clusterName=c1, addonName="kube-proxy")


def test_version_updates_one_minor_at_a_time_and_node_groups_follow(cluster):
    eks, role, c1 = cluster
    eks.create_nodegroup(
        clusterName=c1,
        nodegroupName="g",
        nodeRole=role,
        subnets=["subnet-1"],
        version="1.28",
        updateConfig={"maxUnavailable": 2},
    )
    assert eks.describe_nodegroup(clusterName=c1, nodegroupName="g")["nodegroup"]["updateConfig"] == {
        "maxUnavailable": 2
    }
    with pytest.raises(ClientError, match=r"Unsupported Kubernetes minor version update from 1\.28 to 1\.30"):
        eks.update_cluster_version(name=c1, version="1.30")
    with pytest.raises(ClientError, match="newer than the cluster version"):
        eks.update_nodegroup_version(clusterName=c1, nodegroupName="g", version="1.29")
    update = eks.update_cluster_version(name=c1, version="1.29")["update"]
    assert eks.describe_update(name=c1, updateId=update["id"])["update"]["status"] == "Successful"
    eks.update_nodegroup_version(clusterName=c1, nodegroupName="g", version="1.29")
    assert eks.describe_cluster(name=c1)["cluster"]["version"] == "1.29"
    assert eks.describe_nodegroup(clusterName=c1, nodegroupName="g")["nodegroup"]["version"] == "1.29"
    with pytest.raises(ClientError, match="Unsupported Kubernetes minor version update"):
        eks.update_cluster_version(name=c1, version="1.28")


def test_update_cluster_config_merges_and_returns_an_update(cluster):
    eks, _role, c1 = cluster
    update = eks.update_cluster_config(
        name=c1, resourcesVpcConfig={"endpointPublicAccess": True, "publicAccessCidrs": ["10.0.0.0/8"]}
    )["update"]
    assert update["type"] == "EndpointAccessUpdate"
    vpc = eks.describe_cluster(name=c1)["cluster"]["resourcesVpcConfig"]
    assert vpc["subnetIds"] == ["subnet-1", "subnet-2"] and vpc["publicAccessCidrs"] == ["10.0.0.0/8"]
    eks.update_cluster_config(name=c1, logging={"clusterLogging": [{"types": ["audit"], "enabled": True}]})
    logging = eks.describe_cluster(name=c1)["cluster"]["logging"]["clusterLogging"]
    assert {"types": ["audit"], "enabled": True} in logging
    with pytest.raises(ClientError, match="Only one type of update"):
        eks.update_cluster_config(
            name=c1, resourcesVpcConfig={"endpointPublicAccess": True}, logging={"clusterLogging": []}
        )


def test_the_endpoint_and_ca_point_at_the_fake_api_server(cluster):
    eks, _role, c1 = cluster
    described = eks.describe_cluster(name=c1)["cluster"]
    assert described["endpoint"].startswith("https://127.0.0.1:")
    assert described["endpoint"].endswith(f"/eks/us-east-1/{c1}")
    assert base64.b64decode(described["certificateAuthority"]["data"]).startswith(b"-----BEGIN CERTIFICATE-----")


def test_every_cluster_has_its_own_oidc_issuer(cluster):
    eks, role, c1 = cluster
    eks.create_cluster(name="c2", version="1.28", roleArn=role, resourcesVpcConfig={"subnetIds": ["subnet-1"]})
    issuers = {eks.describe_cluster(name=n)["cluster"]["identity"]["oidc"]["issuer"] for n in (c1, "c2")}
    assert len(issuers) == 2
    assert all(i.startswith("https://oidc.eks.us-east-1.amazonaws.com/id/") for i in issuers)


def test_cluster_security_group_is_made_tagged_and_put_on_managed_nodes(account):
    """EKS's own group (sec-group-reqs): reported by DescribeCluster, on the instances of a managed node group
    launched without a launch template, and only the template's groups when the node group's template names some."""
    emulator, role = account
    ec2, eks = emulator.boto3_client("ec2"), emulator.boto3_client("eks")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"]["SubnetId"]
        for i, z in ((1, "a"), (2, "b"))
    ]
    created = eks.create_cluster(name="sg", version="1.28", roleArn=role, resourcesVpcConfig={"subnetIds": subnets})
    group_id = created["cluster"]["resourcesVpcConfig"]["clusterSecurityGroupId"]
    described = eks.describe_cluster(name="sg")["cluster"]["resourcesVpcConfig"]
    assert described["clusterSecurityGroupId"] == group_id and described["vpcId"] == vpc
    group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    tags = {t["Key"]: t["Value"] for t in group["Tags"]}
    assert tags["aws:eks:cluster-name"] == "sg" and tags["kubernetes.io/cluster/sg"] == "owned"
    assert group["GroupName"].startswith("eks-cluster-sg-sg-") and group["VpcId"] == vpc
    assert group["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"] == group_id  # all traffic from itself

    def instance_groups(nodegroup):
        asg = eks.describe_nodegroup(clusterName="sg", nodegroupName=nodegroup)["nodegroup"]["resources"]
        name = asg["autoScalingGroups"][0]["name"]
        found = emulator.boto3_client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[name])
        ids = [i["InstanceId"] for i in found["AutoScalingGroups"][0]["Instances"]]
        reservations = ec2.describe_instances(InstanceIds=ids)["Reservations"]
        return len(ids), {g["GroupId"] for r in reservations for i in r["Instances"] for g in i["SecurityGroups"]}

    eks.create_nodegroup(
        clusterName="sg",
        nodegroupName="plain",
        nodeRole=role,
        subnets=subnets,
        scalingConfig={"minSize": 1, "maxSize": 3, "desiredSize": 2},
    )
    assert instance_groups("plain") == (2, {group_id})
    eks.update_nodegroup_config(
        clusterName="sg", nodegroupName="plain", scalingConfig={"minSize": 1, "maxSize": 3, "desiredSize": 3}
    )
    assert instance_groups("plain")[0] == 3

    own = ec2.create_security_group(GroupName="own", Description="own", VpcId=vpc)["GroupId"]
    template = ec2.create_launch_template(LaunchTemplateName="own", LaunchTemplateData={"SecurityGroupIds": [own]})
    eks.create_nodegroup(
        clusterName="sg",
        nodegroupName="templated",
        nodeRole=role,
        subnets=subnets,
        scalingConfig={"minSize": 1, "maxSize": 1, "desiredSize": 1},
        launchTemplate={"id": template["LaunchTemplate"]["LaunchTemplateId"], "version": "1"},
    )
    assert instance_groups("templated") == (1, {own})
    eks.delete_nodegroup(clusterName="sg", nodegroupName="plain")
    eks.delete_nodegroup(clusterName="sg", nodegroupName="templated")
    eks.delete_cluster(name="sg")
    assert not ec2.describe_security_groups(Filters=[{"Name": "tag:aws:eks:cluster-name", "Values": ["sg"]}])[
        "SecurityGroups"
    ]
