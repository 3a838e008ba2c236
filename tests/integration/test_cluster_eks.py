"""The EKS cluster tier converged on the emulator, read back with boto3 and through the fake Kubernetes API."""

from __future__ import annotations

import base64
import json
import os
import ssl
import tempfile
import urllib.request

import pytest

from ansible_collections.stackops.platform.plugins.module_utils._kube.apply import Connection
from ansible_collections.stackops.platform.plugins.module_utils._kube.token import eks_token

PLAYBOOK = "tests/integration/playbooks/cluster_eks.yml"  # network + security + cluster
CLUSTER_ONLY = "tests/integration/playbooks/cluster_eks_only.yml"
HOST = "dev-use1"
CLUSTER = "moneytrack-dev"
NAMESPACE = "money-tracking-dev"
TASK = "Converge the EKS cluster"
KUBE_TASK = "Apply the Kubernetes objects"


# -- reading back ----------------------------------------------------------------------------------------------------


def eks(emulator, region="us-east-1"):
    return emulator.boto3_client("eks", region)


def describe(emulator, name=CLUSTER, region="us-east-1"):
    return eks(emulator, region).describe_cluster(name=name)["cluster"]


def node_group(emulator, group, name=CLUSTER):
    return eks(emulator).describe_nodegroup(clusterName=name, nodegroupName=group)["nodegroup"]


def kube(emulator, name=CLUSTER, region="us-east-1"):
    """A Kubernetes client for the cluster, the way the module makes it (endpoint and CA from EKS, STS token)."""
    cluster = describe(emulator, name, region)
    token = eks_token(emulator.boto3_client("sts", region), name)
    return Connection(cluster["endpoint"], cluster["certificateAuthority"]["data"], token)


def kube_calls(emulator, clear=False):
    """The fake API server's call log (reads, writes) — reached through the cluster's endpoint and CA."""
    cluster = describe(emulator)
    base = cluster["endpoint"].split("/eks/")[0]
    with tempfile.NamedTemporaryFile("wb", suffix=".pem", delete=False) as ca:
        ca.write(base64.b64decode(cluster["certificateAuthority"]["data"]))
    try:
        context = ssl.create_default_context(cafile=ca.name)
        request = urllib.request.Request(f"{base}/_stackops/calls", method="DELETE" if clear else "GET")
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            return json.loads(response.read())
    finally:
        os.unlink(ca.name)


def aws_writes(emulator):
    return [f"{c['service']}:{c['operation']}" for c in emulator.writes()]


# -- one converged dev environment for the read-back tests (the emulator is not reset between them) --------------


@pytest.fixture(scope="module")
def dev(module_emulator):
    from conftest import run_playbook

    module_emulator.reset()
    run = run_playbook(module_emulator, PLAYBOOK, inventory="inventories/dev")
    assert run.rc == 0, run.messages()

    def again(**kwargs):
        return run_playbook(module_emulator, CLUSTER_ONLY, inventory="inventories/dev", **kwargs)

    return module_emulator, run, again


def test_cluster_read_back(dev):
    emulator, run, _again = dev
    cluster = describe(emulator)
    assert cluster["version"] == "1.28" and cluster["status"] == "ACTIVE"
    vpc = cluster["resourcesVpcConfig"]
    ec2 = emulator.boto3_client("ec2")
    private = ec2.describe_subnets(
        Filters=[
            {"Name": "tag:stackops:environment", "Values": ["dev"]},
            {"Name": "tag:stackops:tier", "Values": ["private"]},
        ]
    )["Subnets"]
    assert sorted(vpc["subnetIds"]) == sorted(s["SubnetId"] for s in private) and len(private) == 2
    app = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["moneytrack-dev-app"]}])
    assert vpc["securityGroupIds"] == [app["SecurityGroups"][0]["GroupId"]]
    assert vpc["endpointPrivateAccess"] is True and vpc["endpointPublicAccess"] is True
    logging = cluster["logging"]["clusterLogging"]
    assert next(e for e in logging if e["enabled"])["types"] == [
        "api",
        "audit",
        "authenticator",
        "controllerManager",
        "scheduler",
    ]
    key = emulator.boto3_client("kms").describe_key(KeyId="alias/moneytrack-dev-secrets")["KeyMetadata"]["Arn"]
    assert cluster["encryptionConfig"] == [{"resources": ["secrets"], "provider": {"keyArn": key}}]
    assert cluster["tags"]["stackops:component"] == "cluster" and cluster["tags"]["owner"] == "platform-team"
    iam = emulator.boto3_client("iam")
    role = iam.get_role(RoleName="moneytrack-dev-us-east-1-eks-cluster")["Role"]
    assert cluster["roleArn"] == role["Arn"]
    assert [
        p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"]
    ] == ["AmazonEKSClusterPolicy"]
    inline = iam.get_role_policy(RoleName=role["RoleName"], PolicyName="secrets-encryption")["PolicyDocument"]
    assert inline["Statement"][0]["Resource"] == key
    fact = run.result(TASK, HOST)["cluster"]
    assert fact["arn"] == cluster["arn"] and fact["endpoint"] == cluster["endpoint"]


def test_node_groups_read_back(dev):
    emulator, _run, _again = dev
    assert sorted(eks(emulator).list_nodegroups(clusterName=CLUSTER)["nodegroups"]) == [
        "general-purpose",
        "memory-optimized",
    ]
    general = node_group(emulator, "general-purpose")
    assert general["instanceTypes"] == ["t3.xlarge"] and general["capacityType"] == "ON_DEMAND"
    assert general["scalingConfig"] == {"minSize": 1, "maxSize": 3, "desiredSize": 1}
    assert int(general["diskSize"]) == 50 and general["updateConfig"] == {"maxUnavailable": 1}
    assert general["version"] == "1.28" and general["labels"] == {"workload": "general"}
    memory = node_group(emulator, "memory-optimized")
    assert memory["taints"] == [{"key": "workload", "value": "analytics", "effect": "NO_SCHEDULE"}]
    assert memory["amiType"] == "AL2_ARM_64" and memory["instanceTypes"] == ["r6g.large"]
    nodes = emulator.boto3_client("iam").list_attached_role_policies(RoleName="moneytrack-dev-us-east-1-eks-nodes")
    assert {p["PolicyName"] for p in nodes["AttachedPolicies"]} == {
        "AmazonEKSWorkerNodePolicy",
        "AmazonEKS_CNI_Policy",
        "AmazonEC2ContainerRegistryReadOnly",
    }
    assert general["nodeRole"].endswith(":role/moneytrack-dev-us-east-1-eks-nodes")


def node_security_groups(emulator, group):
    """The security groups on a node group's instances: node group -> its Auto Scaling group -> instances."""
    asg = node_group(emulator, group)["resources"]["autoScalingGroups"][0]["name"]
    found = emulator.boto3_client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[asg])
    ids = [i["InstanceId"] for i in found["AutoScalingGroups"][0]["Instances"]]
    assert ids, f"node group {group} has no instances"
    reservations = emulator.boto3_client("ec2").describe_instances(InstanceIds=ids)["Reservations"]
    return {g["GroupId"] for r in reservations for i in r["Instances"] for g in i["SecurityGroups"]}


def admitted_on(emulator, group_name, port):
    """The groups a security group admits on ``port`` (TCP)."""
    group = emulator.boto3_client("ec2").describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [group_name]}]
    )["SecurityGroups"][0]
    return {
        pair["GroupId"]
        for permission in group["IpPermissions"]
        if permission["IpProtocol"] in ("tcp", "6") and permission["FromPort"] <= port <= permission["ToPort"]
        for pair in permission.get("UserIdGroupPairs", [])
    }


def test_pods_on_every_node_group_reach_the_database_and_the_cache(dev):
    """Pods use their node's groups; managed nodes carry the group EKS makes, which the data tiers must admit."""
    emulator, run, _again = dev
    cluster_group = describe(emulator)["resourcesVpcConfig"]["clusterSecurityGroupId"]
    for group in ("general-purpose", "memory-optimized"):
        on_nodes = node_security_groups(emulator, group)
        assert cluster_group in on_nodes
        assert on_nodes & admitted_on(emulator, "moneytrack-dev-database", 5432), group
        assert on_nodes & admitted_on(emulator, "moneytrack-dev-cache", 6379), group
    assert run.result(TASK, HOST)["cluster"]["cluster_security_group_id"] == cluster_group


def test_the_security_tier_leaves_the_nodes_admission_alone(dev):
    from conftest import run_playbook

    emulator, _run, _again = dev
    emulator.clear_calls()
    run = run_playbook(emulator, "playbooks/security.yml", inventory="inventories/dev")
    assert run.rc == 0, run.messages()
    assert run.changed() == 0 and aws_writes(emulator) == []
    cluster_group = describe(emulator)["resourcesVpcConfig"]["clusterSecurityGroupId"]
    assert cluster_group in admitted_on(emulator, "moneytrack-dev-database", 5432)


def test_addons_oidc_and_irsa(dev):
    emulator, _run, _again = dev
    client = eks(emulator)
    addons = {
        a: client.describe_addon(clusterName=CLUSTER, addonName=a)["addon"]
        for a in client.list_addons(clusterName=CLUSTER)["addons"]
    }
    assert set(addons) == {"vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver", "metrics-server"}
    assert addons["kube-proxy"]["addonVersion"].startswith("v1.28.")
    assert all(a["status"] == "ACTIVE" for a in addons.values())
    iam = emulator.boto3_client("iam")
    ebs_role = iam.get_role(RoleName="moneytrack-dev-us-east-1-irsa-ebs-csi")["Role"]
    assert addons["aws-ebs-csi-driver"]["serviceAccountRoleArn"] == ebs_role["Arn"]
    issuer = describe(emulator)["identity"]["oidc"]["issuer"].removeprefix("https://")
    providers = [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    assert [p for p in providers if p.endswith(issuer)] == providers and len(providers) == 1
    provider = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=providers[0])
    assert provider["ClientIDList"] == ["sts.amazonaws.com"]
    trust = ebs_role["AssumeRolePolicyDocument"]
    statement = trust["Statement"][0]
    assert statement["Principal"] == {"Federated": providers[0]}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert (
        statement["Condition"]["StringEquals"][f"{issuer}:sub"]
        == "system:serviceaccount:kube-system:ebs-csi-controller-sa"
    )


def test_kubernetes_objects_read_back(dev):
    emulator, run, _again = dev
    api = kube(emulator)
    try:
        namespaces = {n["metadata"]["name"] for n in api.call("GET", "/api/v1/namespaces")["items"]}
        assert {NAMESPACE, "monitoring", "logging", "ingress-nginx", "cert-manager", "external-secrets"} <= namespaces
        base = f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments"
        deployments = {d["metadata"]["name"]: d for d in api.call("GET", base)["items"]}
        assert set(deployments) == {"user-service", "auth-service", "bank-service", "transaction-service"}
        user = deployments["user-service"]["spec"]
        container = user["template"]["spec"]["containers"][0]
        assert container["resources"] == {
            "requests": {"cpu": "250m", "memory": "512Mi"},
            "limits": {"cpu": "1000m", "memory": "1Gi"},
        }
        assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": 3000}
        assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": 3000}
        assert user["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
        assert user["template"]["spec"]["serviceAccountName"] == "user-service-sa"
        assert deployments["user-service"]["status"]["availableReplicas"] == 1
        service = api.call("GET", f"/api/v1/namespaces/{NAMESPACE}/services/user-service")
        assert service["spec"]["ports"][0]["port"] == 80 and service["spec"]["ports"][0]["targetPort"] == 3000
        account = api.call("GET", f"/api/v1/namespaces/{NAMESPACE}/serviceaccounts/bank-service-sa")
        role = emulator.boto3_client("iam").get_role(RoleName="moneytrack-dev-us-east-1-irsa-bank-service")["Role"][
            "Arn"
        ]
        assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == role
        hpa = api.call("GET", f"/apis/autoscaling/v2/namespaces/{NAMESPACE}/horizontalpodautoscalers/user-service-hpa")
        assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (1, 3)
        assert [m["resource"]["target"]["averageUtilization"] for m in hpa["spec"]["metrics"]] == [70, 80]
        ingress = api.call("GET", f"/apis/networking.k8s.io/v1/namespaces/{NAMESPACE}/ingresses/api-ingress")
        assert ingress["spec"]["ingressClassName"] == "alb"
        assert (
            next(p["backend"]["service"]["name"] for p in ingress["spec"]["rules"][0]["http"]["paths"])
            == "user-service"
        )
        policy = api.call(
            "GET", f"/apis/networking.k8s.io/v1/namespaces/{NAMESPACE}/networkpolicies/user-service-db-access"
        )
        assert policy["spec"]["egress"][0]["ports"] == [{"protocol": "TCP", "port": 5432}]
    finally:
        api.close()
    assert len(run.result(KUBE_TASK, HOST)["changes"]) == 24


def test_second_converge_changes_nothing_in_aws_or_kubernetes(dev):
    emulator, _run, again = dev
    emulator.clear_calls()
    kube_calls(emulator, clear=True)
    run = again()
    assert run.rc == 0, run.messages()
    assert run.changed() == 0
    assert aws_writes(emulator) == []
    calls = kube_calls(emulator)
    assert calls["writes"] == 0 and calls["reads"] >= 24
    assert all(c["auth"] for c in calls["calls"])


def test_cluster_info_matches_the_fact(dev, tmp_path):
    emulator, run, _again = dev
    from conftest import run_playbook

    play = tmp_path / "info.yml"
    play.write_text(
        "- hosts: all\n  gather_facts: false\n  tasks:\n"
        "    - stackops.platform.eks_cluster_info:\n"
        "        platform: moneytrack\n        environment: dev\n        region: us-east-1\n"
        "        endpoint_url: '{{ aws_endpoint_url }}'\n        access_key: emulator\n        secret_key: emulator\n"
        "      register: found\n      name: Read the EKS cluster\n"
    )
    info = run_playbook(emulator, str(play), inventory="inventories/dev")
    assert info.rc == 0, info.messages()
    found = info.result("Read the EKS cluster", HOST)
    fact = run.result(TASK, HOST)["cluster"]
    assert found["exists"] is True
    for key in ("arn", "endpoint", "version", "oidc_provider_arn", "node_groups", "cluster_role_arn", "node_role_arn"):
        assert found["cluster"][key] == fact[key], key
    assert found["node_groups"]["memory-optimized"]["taints"] == ["workload=analytics:NoSchedule"]


S3_READ = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::moneytrack-dev-docs/*"}],
}


def irsa_with_policies(policies):
    """The dev inventory's IRSA roles, bank-service carrying ``policies``."""
    import yaml
    from conftest import ROOT

    roles = yaml.safe_load((ROOT / "inventories/dev/group_vars/all/cluster.yml").read_text())["cluster_eks_irsa_roles"]
    return [{**r, "policies": policies} if r["name"] == "bank-service" else r for r in roles]


def test_irsa_policy_documents_are_reconciled(dev, tmp_path):
    """Inline (YAML) and customer managed (a JSON file) policies on an IRSA role: created, unchanged on a second
    run, updated when the document changes, deleted when the list drops them."""
    emulator, _run, again = dev
    iam = emulator.boto3_client("iam")
    role = "moneytrack-dev-us-east-1-irsa-bank-service"
    controller = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "elasticloadbalancing:Describe*", "Resource": "*"}],
    }
    (tmp_path / "controller.json").write_text(json.dumps(controller))
    policies = [
        {"name": "documents", "document": S3_READ},
        {"name": "controller", "managed": True, "file": str(tmp_path / "controller.json")},
    ]
    run = again(extra_vars={"cluster_eks_irsa_roles": irsa_with_policies(policies)})
    assert run.rc == 0, run.messages()
    inline = iam.get_role_policy(RoleName=role, PolicyName="documents")["PolicyDocument"]
    assert inline["Statement"][0]["Resource"] == "arn:aws:s3:::moneytrack-dev-docs/*"
    arn = f"arn:aws:iam::123456789012:policy/stackops/{role}-controller"
    attached = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]]
    assert arn in attached
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    assert iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"] == controller

    emulator.clear_calls()
    same = again(extra_vars={"cluster_eks_irsa_roles": irsa_with_policies(policies)})
    assert same.rc == 0 and same.changed() == 0 and aws_writes(emulator) == []

    controller["Statement"][0]["Action"] = ["elasticloadbalancing:Describe*", "ec2:DescribeSubnets"]
    (tmp_path / "controller.json").write_text(json.dumps(controller))
    changed = again(extra_vars={"cluster_eks_irsa_roles": irsa_with_policies(policies[1:])})
    assert changed.rc == 0, changed.messages()
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == []
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    assert document["Statement"][0]["Action"] == ["elasticloadbalancing:Describe*", "ec2:DescribeSubnets"]

    gone = again()  # the inventory as it is: no policy documents
    assert gone.rc == 0, gone.messages()
    attached = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]]
    assert arn not in attached
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_policy(PolicyArn=arn)


def test_node_group_changes_show_in_the_diff_and_kubernetes_drift_is_corrected(dev):
    emulator, _run, again = dev
    groups = _dev_node_groups()
    groups[0].update(desired_size=2, max_size=4, labels={"workload": "general", "team": "payments"})
    groups[1]["taints"] = [{"key": "workload", "value": "analytics", "effect": "NoExecute"}]
    api = kube(emulator)
    path = f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments/auth-service"
    api.call("PATCH", path, body={"spec": {"replicas": 7}}, content_type="application/merge-patch+json")
    emulator.clear_calls()
    run = again(
        diff=True,
        extra_vars={
            "cluster_eks_node_groups": groups,
            "cluster_eks_public_access_cidrs": ["10.0.0.0/8"],  # seed 003
            "cluster_eks_log_types": ["api", "audit"],
        },
    )
    assert run.rc == 0, run.messages()
    kube_result = run.result(KUBE_TASK, HOST)
    assert kube_result["changes"] == [f"update Deployment {NAMESPACE}/auth-service"]
    assert kube_result["diff"]["before"][f"Deployment {NAMESPACE}/auth-service"]["spec"]["replicas"] == 7
    assert api.call("GET", path)["spec"]["replicas"] == 1
    api.close()
    result = run.result(TASK, HOST)
    assert result["changes"] == [
        "update the API endpoint access of EKS cluster moneytrack-dev (private on, public from 10.0.0.0/8)",
        "set the control-plane logs of EKS cluster moneytrack-dev to api, audit",
        "update node group general-purpose: scaling, labels",
        "update node group memory-optimized: taints",
    ]
    cluster = describe(emulator)
    assert cluster["resourcesVpcConfig"]["publicAccessCidrs"] == ["10.0.0.0/8"]
    assert len(cluster["resourcesVpcConfig"]["subnetIds"]) == 2  # an endpoint update keeps the subnets
    assert next(e for e in cluster["logging"]["clusterLogging"] if e["enabled"])["types"] == ["api", "audit"]
    before, after = result["diff"]["before"]["node_groups"], result["diff"]["after"]["node_groups"]
    assert (before["general-purpose"]["desired_size"], after["general-purpose"]["desired_size"]) == (1, 2)
    assert after["memory-optimized"]["taints"] == ["workload=analytics:NoExecute"]
    assert set(aws_writes(emulator)) == {"eks:UpdateClusterConfig", "eks:UpdateNodegroupConfig"}
    general = node_group(emulator, "general-purpose")
    assert general["scalingConfig"] == {"minSize": 1, "maxSize": 4, "desiredSize": 2}
    assert general["labels"] == {"workload": "general", "team": "payments"}
    assert node_group(emulator, "memory-optimized")["taints"] == [
        {"key": "workload", "value": "analytics", "effect": "NO_EXECUTE"}
    ]


def test_an_immutable_node_group_change_is_refused_before_writing(dev):
    emulator, _run, again = dev
    groups = _dev_node_groups()
    groups[0]["instance_types"] = ["m5.xlarge"]
    emulator.clear_calls()
    run = again(extra_vars={"cluster_eks_node_groups": groups})
    assert run.rc != 0
    assert "cluster_eks_node_groups[0].instance_types: ['t3.xlarge'] -> ['m5.xlarge']" in run.messages()
    assert "give it a new name" in run.messages()
    assert aws_writes(emulator) == []
    # EKS updates a node group's AMI release, never its AMI type (AL2 -> AL2023 is a new node group).
    groups = _dev_node_groups()
    groups[1]["ami_type"] = "AL2023_ARM_64_STANDARD"
    run = again(extra_vars={"cluster_eks_node_groups": groups})
    assert run.rc != 0
    assert "cluster_eks_node_groups[1].ami_type: AL2_ARM_64 -> AL2023_ARM_64_STANDARD" in run.messages()
    assert aws_writes(emulator) == []


def test_a_higher_version_upgrades_control_plane_then_node_groups(dev):
    emulator, _run, again = dev
    emulator.clear_calls()
    plan = again(check=True, extra_vars={"cluster_eks_version": "1.30"})
    assert plan.rc == 0, plan.messages()
    assert aws_writes(emulator) == []  # check mode on an existing cluster: the plan, no write
    assert (
        "upgrade the control plane of EKS cluster moneytrack-dev to Kubernetes 1.29"
        in plan.result(TASK, HOST)["changes"]
    )
    assert describe(emulator)["version"] == "1.28"
    run = again(extra_vars={"cluster_eks_version": "1.30"})
    assert run.rc == 0, run.messages()
    changes = run.result(TASK, HOST)["changes"]
    upgrades = [c for c in changes if "upgrade" in c]
    assert upgrades == [
        "upgrade the control plane of EKS cluster moneytrack-dev to Kubernetes 1.29",
        "upgrade the control plane of EKS cluster moneytrack-dev to Kubernetes 1.30",
        "upgrade node group general-purpose to Kubernetes 1.30",
        "upgrade node group memory-optimized to Kubernetes 1.30",
    ]
    writes = aws_writes(emulator)
    assert writes.index("eks:UpdateClusterVersion") < writes.index("eks:UpdateNodegroupVersion")
    assert describe(emulator)["version"] == "1.30"
    assert {node_group(emulator, g)["version"] for g in ("general-purpose", "memory-optimized")} == {"1.30"}
    proxy = eks(emulator).describe_addon(clusterName=CLUSTER, addonName="kube-proxy")["addon"]
    assert proxy["addonVersion"].startswith("v1.30.")  # the 1.28 build is not offered for 1.30
    version = kube(emulator).call("GET", "/version")
    assert (version["major"], version["minor"]) == ("1", "30")


def test_a_lower_version_is_refused_after_a_describe_before_any_write(dev):
    emulator, _run, again = dev
    emulator.clear_calls()
    run = again(extra_vars={"cluster_eks_version": "1.29"})
    assert run.rc != 0
    message = run.messages()
    assert "cluster_eks_version: 1.29 is older than the cluster's 1.30" in message
    assert "before any write" in message
    assert aws_writes(emulator) == []
    assert "eks:DescribeCluster" in emulator.calls()["by_operation"]


# -- check mode, bad input (each test starts from an empty emulator) ---------------------------------------------------


def test_check_mode_on_an_empty_account_plans_without_writing(emulator, playbook):
    run = playbook(PLAYBOOK, inventory="inventories/dev", check=True, diff=True)
    assert run.rc == 0, run.messages()
    assert emulator.writes() == []
    changes = run.result(TASK, HOST)["changes"]
    assert "create EKS cluster moneytrack-dev (Kubernetes 1.28)" in changes
    assert "create node group memory-optimized (ON_DEMAND r6g.large, 1-1 nodes, desired 1)" in changes
    assert "install add-on kube-proxy v1.28.0-eksbuild.3" in changes
    after = run.result(TASK, HOST)["diff"]["after"]
    assert after["node_groups"]["memory-optimized"]["taints"] == ["workload=analytics:NoSchedule"]
    kube_changes = run.result(KUBE_TASK, HOST)["changes"]
    assert f"create Namespace {NAMESPACE}" in kube_changes and len(kube_changes) == 24
    assert eks(emulator).list_clusters()["clusters"] == []


def _dev_node_groups():
    return [
        {
            "name": "general-purpose",
            "instance_types": ["t3.xlarge"],
            "min_size": 1,
            "max_size": 3,
            "desired_size": 1,
            "disk_size": 50,
            "labels": {"workload": "general"},
            "max_unavailable": 1,
        },
        {
            "name": "memory-optimized",
            "instance_types": ["r6g.large"],
            "ami_type": "AL2_ARM_64",
            "min_size": 1,
            "max_size": 1,
            "desired_size": 1,
            "disk_size": 50,
            "labels": {"workload": "analytics"},
            "taints": [{"key": "workload", "value": "analytics", "effect": "NoSchedule"}],
        },
    ]


def _groups(change):
    groups = _dev_node_groups()
    change(groups)
    return {"cluster_eks_node_groups": groups}


BAD_INPUT = {
    "node group min above max": (
        _groups(lambda g: g[0].update(min_size=5)),
        "cluster_eks_node_groups[0].min_size: 5 is more than max_size 3",
    ),
    "desired outside min..max": (
        _groups(lambda g: g[0].update(desired_size=4)),
        "cluster_eks_node_groups[0].desired_size: 4 is outside min_size..max_size (1..3)",
    ),
    "unknown taint effect": (
        _groups(lambda g: g[1]["taints"][0].update(effect="NoScheduleAtAll")),
        "cluster_eks_node_groups[1].taints[0].effect: 'NoScheduleAtAll' is not a taint effect Kubernetes knows",
    ),
    "ingress to a port the Service does not have": (
        {
            "cluster_eks_namespaces": ["app"],
            "cluster_eks_workloads": [{"name": "api", "namespace": "app", "image": "api:1", "port": 3000}],
            "cluster_eks_ingresses": [
                {"name": "web", "namespace": "app", "paths": [{"path": "/", "service": "api", "port": 3000}]}
            ],
            "cluster_eks_network_policies": [],
        },
        "cluster_eks_ingresses[0].paths[0].port: 3000 is not the port of the Service api (80, "
        "cluster_eks_workloads[0].service.port)",
    ),
    "Arm and x86 instance types in one node group": (
        _groups(lambda g: g[0].update(instance_types=["t3.xlarge", "t4g.xlarge"])),
        "cluster_eks_node_groups[0].instance_types[1]: t4g.xlarge is an Arm (Graviton) instance type and "
        "cluster_eks_node_groups[0].instance_types[0] t3.xlarge is not",
    ),
    "SPOT with a single instance type": (
        _groups(lambda g: g[0].update(capacity_type="SPOT")),
        "cluster_eks_node_groups[0].instance_types: a SPOT node group with the single type t3.xlarge",
    ),
    "disk size below 1": (
        _groups(lambda g: g[0].update(disk_size=0)),
        "cluster_eks_node_groups[0].disk_size: 0 must be a whole number of GiB from 1 to 16384",
    ),
    "unknown add-on": (
        {"cluster_eks_addons": [{"name": "vpc-cni"}, {"name": "aws-load-balancer-controller"}]},
        "cluster_eks_addons[1].name: 'aws-load-balancer-controller' is not an EKS add-on",
    ),
    "bad endpoint CIDR": (
        {"cluster_eks_public_access_cidrs": ["10.0.0.1/8"]},
        "cluster_eks_public_access_cidrs[0]: '10.0.0.1/8' is not an IPv4 CIDR block",
    ),
    "unknown log type": (
        {"cluster_eks_log_types": ["api", "kubelet"]},
        "cluster_eks_log_types[1]: 'kubelet' is not an EKS control-plane log type",
    ),
    "Kubernetes version EKS does not offer": (
        {"cluster_eks_version": "1.280"},
        "cluster_eks_version: '1.280' is not a Kubernetes version EKS offers",
    ),
    "object name that is not DNS-1123": (
        {"cluster_eks_namespaces": ["Money_Tracking"]},
        "cluster_eks_namespaces[0].name: 'Money_Tracking' is not a valid Kubernetes name (DNS-1123 label",
    ),
    "HPA min above max": (
        {
            "cluster_eks_namespaces": ["app"],
            "cluster_eks_workloads": [
                {"name": "api", "namespace": "app", "image": "api:1", "hpa": {"min": 5, "max": 2, "cpu": 70}}
            ],
        },
        "cluster_eks_workloads[0].hpa.min: 5 is more than hpa.max 2",
    ),
    "no endpoint access at all": (
        {"cluster_eks_endpoint_private_access": False, "cluster_eks_endpoint_public_access": False},
        "cluster_eks_endpoint_public_access: the API server needs private or public access (or both)",
    ),
    "service account role that is not defined": (
        {
            "cluster_eks_namespaces": ["app"],
            "cluster_eks_workloads": [
                {
                    "name": "api",
                    "namespace": "app",
                    "image": "api:1",
                    "service_account": {"name": "api", "irsa_role": "s3"},
                }
            ],
        },
        "cluster_eks_workloads[0].service_account.irsa_role: 's3' is not in cluster_eks_irsa_roles",
    ),
}


@pytest.fixture(scope="module")
def bad_input_run(emulator_session, tmp_path_factory):
    """Every bad-input case at once: one host per case (its variables in host_vars), one playbook run."""
    import shutil

    import yaml
    from conftest import ROOT
    from conftest import run_playbook

    inventory = tmp_path_factory.mktemp("bad-input") / "dev"
    shutil.copytree(ROOT / "inventories" / "dev", inventory)
    hosts = {f"bad-{index}": case for index, case in enumerate(BAD_INPUT)}
    (inventory / "hosts.yml").write_text(
        yaml.safe_dump(
            {
                "all": {
                    "vars": {
                        "ansible_connection": "local",
                        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                    },
                    "hosts": dict.fromkeys(hosts),
                }
            }
        )
    )
    for host, case in hosts.items():
        variables = {"platform_region": "us-east-1", "vpc_azs": ["us-east-1a", "us-east-1b"], **BAD_INPUT[case][0]}
        (inventory / "host_vars" / f"{host}.yml").write_text(yaml.safe_dump(variables))
    emulator_session.clear_calls()  # no reset needed: nothing may be called at all
    run = run_playbook(emulator_session, CLUSTER_ONLY, inventory=str(inventory))
    return run, {case: host for host, case in hosts.items()}, emulator_session.calls()["calls"]


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_rejected_before_any_call(bad_input_run, case):
    run, host_of, calls = bad_input_run
    assert run.rc != 0
    result = run.result("Validate the EKS spec", host_of[case])
    assert result.get("failed"), result
    assert BAD_INPUT[case][1] in str(result["msg"])
    assert calls == []  # no host made any AWS call


# -- every inventory ------------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_staging_and_prod_converge_and_reconverge_without_writes(emulator_session):
    """Both environments at once (two ansible-playbook runs side by side: no name of one is a name of the other).

    No reset first (a reset costs seconds): whatever another test left has other names."""
    from concurrent.futures import ThreadPoolExecutor

    from conftest import run_playbook

    emulator = emulator_session

    def playbook(path, **kwargs):
        return run_playbook(emulator, path, **kwargs)

    inventories = ["staging", "prod"]
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda env: playbook(PLAYBOOK, inventory=f"inventories/{env}"), inventories))
    for run in runs:
        assert run.rc == 0, run.messages()
    for inventory, region in (("staging", "us-east-1"), ("prod", "us-east-1"), ("prod", "us-west-2")):
        cluster = describe(emulator, f"moneytrack-{inventory}", region)
        assert cluster["version"] == "1.28"
        groups = eks(emulator, region).list_nodegroups(clusterName=cluster["name"])["nodegroups"]
        assert sorted(groups) == ["general-purpose", "memory-optimized"]
        role = emulator.boto3_client("iam").get_role(RoleName=f"moneytrack-{inventory}-{region}-eks-cluster")["Role"]
        assert cluster["roleArn"] == role["Arn"]  # IAM is global: one set of roles per region
    general = eks(emulator).describe_nodegroup(clusterName="moneytrack-prod", nodegroupName="general-purpose")
    assert general["nodegroup"]["scalingConfig"] == {"minSize": 3, "maxSize": 10, "desiredSize": 3}
    emulator.clear_calls()
    with ThreadPoolExecutor(2) as pool:
        again = list(pool.map(lambda env: playbook(CLUSTER_ONLY, inventory=f"inventories/{env}"), inventories))
    for run in again:
        assert run.rc == 0, run.messages()
    assert aws_writes(emulator) == []
    assert [run.changed() for run in again] == [0, 0]


def test_a_long_cluster_name_keeps_one_iam_role_per_service_account(emulator):
    """IAM names are at most 64 characters: cut to 64, both IRSA roles of a long cluster name were one role whose
    trust policy flipped between the two service accounts on every run."""
    from conftest import run_playbook

    name = "moneytrack-dev-" + "long" * 12  # 63 characters; EKS takes up to 100
    variables = {"cluster_name": name, "cluster_eks_kube_objects": False}
    run = run_playbook(emulator, PLAYBOOK, inventory="inventories/dev", extra_vars=variables)
    assert run.rc == 0, run.messages()
    arns = run.result(TASK, HOST)["cluster"]["irsa_role_arns"]
    iam = emulator.boto3_client("iam")
    roles = {short: iam.get_role(RoleName=arn.rsplit("/", 1)[-1])["Role"] for short, arn in arns.items()}
    assert sorted(roles) == ["bank-service", "ebs-csi"]
    assert len({r["RoleName"] for r in roles.values()}) == 2 and all(len(r["RoleName"]) <= 64 for r in roles.values())
    subjects = {
        short: role["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]["StringEquals"]
        for short, role in roles.items()
    }
    assert any(v == "system:serviceaccount:kube-system:ebs-csi-controller-sa" for v in subjects["ebs-csi"].values())
    assert any(
        v == "system:serviceaccount:money-tracking-dev:bank-service-sa" for v in subjects["bank-service"].values()
    )
    emulator.clear_calls()
    again = run_playbook(emulator, CLUSTER_ONLY, inventory="inventories/dev", extra_vars=variables)
    assert again.rc == 0, again.messages()
    assert again.changed() == 0 and aws_writes(emulator) == []


# -- opt-in: the same apply logic against a real cluster (skipped unless KUBECONFIG is set) -----------------------------


@pytest.mark.kube_real
@pytest.mark.skipif(
    not os.environ.get("KUBECONFIG"), reason="needs a real cluster: set KUBECONFIG (pytest -m kube_real)"
)
def test_kube_objects_against_a_real_cluster():
    import uuid

    from ansible_collections.stackops.platform.plugins.module_utils._kube.apply import Applier
    from ansible_collections.stackops.platform.plugins.module_utils._kube.spec import kube_objects
    from ansible_collections.stackops.platform.plugins.module_utils.platform import Changes

    namespace = f"stackops-kube-real-{uuid.uuid4().hex[:6]}"
    spec = {
        "namespaces": [namespace],
        "workloads": [
            {
                "name": "web",
                "namespace": namespace,
                "image": "public.ecr.aws/nginx/nginx:stable",
                "port": 80,
                "replicas": 1,
                "resources": {
                    "requests": {"cpu": "50m", "memory": "64Mi"},
                    "limits": {"cpu": "1000m", "memory": "128Mi"},
                },
                "readiness_probe": {"path": "/", "initial_delay": 1, "period": 2},
                "hpa": {"min": 1, "max": 2, "cpu": 80},
            }
        ],
    }
    objects = kube_objects(spec, "kube-real")
    api = Connection(kubeconfig=os.environ["KUBECONFIG"], context=os.environ.get("KUBE_CONTEXT"))
    try:
        first = Changes(False)
        applier = Applier(api, first, "kube-real", wait=True, wait_timeout=300)
        for obj in objects:
            applier.apply(obj)
        applier.wait_rollouts()
        assert len(first.items) == len(objects)
        writes = api.writes
        second = Changes(False)
        applier = Applier(api, second, "kube-real", wait=False)
        for obj in objects:
            applier.apply(obj)
        assert second.items == [] and api.writes == writes  # server defaults and quantities do not count as drift
    finally:
        api.call("DELETE", f"/api/v1/namespaces/{namespace}")
        api.close()
