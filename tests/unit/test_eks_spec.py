"""The EKS spec: validation messages, upgrades, taints, IAM documents and the Kubernetes objects (pure Python)."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
import yaml

from ansible_collections.stackops.platform.plugins.filter.eks import cluster_eks_kube_objects
from ansible_collections.stackops.platform.plugins.filter.eks import cluster_eks_spec_errors
from ansible_collections.stackops.platform.plugins.module_utils._eks import spec as sp
from ansible_collections.stackops.platform.plugins.module_utils._kube import spec as kube_sp

ROOT = Path(__file__).resolve().parents[2]


def inventory(env="prod"):
    return yaml.safe_load((ROOT / "inventories" / env / "group_vars" / "all" / "cluster.yml").read_text())


def spec_of(variables, name="moneytrack-prod"):
    return {
        "name": name,
        **{
            key.removeprefix("cluster_eks_"): value
            for key, value in variables.items()
            if key.startswith("cluster_eks_")
        },
    }


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_the_inventories_are_valid(env):
    assert cluster_eks_spec_errors(spec_of(inventory(env))) == []


def errors_for(change):
    spec = spec_of(inventory())
    change(spec)
    return cluster_eks_spec_errors(spec)


CASES = {
    "min above max": (
        lambda s: s["node_groups"][0].update(min_size=11),
        "cluster_eks_node_groups[0].min_size: 11 is more than max_size 10",
    ),
    "desired outside": (
        lambda s: s["node_groups"][0].update(desired_size=11),
        "cluster_eks_node_groups[0].desired_size: 11 is outside min_size..max_size (3..10)",
    ),
    "max zero": (
        lambda s: s["node_groups"][1].update(min_size=0, max_size=0, desired_size=0),
        "max_size: must be at least 1",
    ),
    "taint effect": (
        lambda s: s["node_groups"][1]["taints"][0].update(effect="NoRun"),
        "cluster_eks_node_groups[1].taints[0].effect: 'NoRun' is not a taint effect Kubernetes knows",
    ),
    "taint effect in API spelling is fine, duplicate group name is not": (
        lambda s: s["node_groups"][1].update(name="general-purpose"),
        "cluster_eks_node_groups[1].name: general-purpose is defined twice",
    ),
    "spot single type": (
        lambda s: s["node_groups"][0].update(capacity_type="SPOT"),
        "a SPOT node group with the single type t3.xlarge",
    ),
    "disk size": (lambda s: s["node_groups"][0].update(disk_size=0), "disk_size: 0 must be a whole number of GiB"),
    "ingress port the Service does not have": (
        lambda s: s["ingresses"][0]["paths"][0].update(port=3000),
        "cluster_eks_ingresses[0].paths[0].port: 3000 is not the port of the Service user-service (80, "
        "cluster_eks_workloads[0].service.port)",
    ),
    "ingress to a workload without a Service": (
        lambda s: s["workloads"][0].update(service=False),
        "cluster_eks_ingresses[0].paths[0].service: cluster_eks_workloads[0] (user-service) has no Service",
    ),
    "Arm and x86 types in one node group": (
        lambda s: s["node_groups"][0].update(instance_types=["t3.xlarge", "m5.xlarge", "m6g.xlarge"]),
        "cluster_eks_node_groups[0].instance_types[2]: m6g.xlarge is an Arm (Graviton) instance type and "
        "cluster_eks_node_groups[0].instance_types[0] t3.xlarge is not; a node group runs one AMI",
    ),
    "unknown add-on": (lambda s: s["addons"].append({"name": "karpenter"}), "'karpenter' is not an EKS add-on"),
    "add-on twice": (
        lambda s: s["addons"].append({"name": "coredns"}),
        "cluster_eks_addons[5].name: coredns is listed twice",
    ),
    "add-on version form": (
        lambda s: s["addons"][0].update(version="1.15"),
        "cluster_eks_addons[0].version: '1.15' is not an add-on version",
    ),
    "cidr with host bits": (
        lambda s: s.update(public_access_cidrs=["10.0.0.1/8"]),
        "cluster_eks_public_access_cidrs[0]: '10.0.0.1/8' is not an IPv4 CIDR block",
    ),
    "ipv6 cidr": (
        lambda s: s.update(public_access_cidrs=["2001:db8::/32"]),
        "is IPv6; EKS public access CIDRs are IPv4",
    ),
    "empty allow-list": (lambda s: s.update(public_access_cidrs=[]), "empty with public access on"),
    "log type": (lambda s: s.update(log_types=["api", "kubelet"]), "cluster_eks_log_types[1]: 'kubelet'"),
    "version": (lambda s: s.update(version="1.3"), "cluster_eks_version: '1.3' is not a Kubernetes version EKS offers"),
    "node group newer than the cluster": (
        lambda s: s["node_groups"][0].update(version="1.29"),
        "cluster_eks_node_groups[0].version: 1.29 is newer than the control plane's 1.28",
    ),
    "namespace name": (
        lambda s: s["namespaces"].append("Bad_Name"),
        "cluster_eks_namespaces[6].name: 'Bad_Name' is not a valid Kubernetes name",
    ),
    "workload in an unknown namespace": (
        lambda s: s["workloads"][0].update(namespace="payments"),
        "cluster_eks_workloads[0].namespace: payments is not in cluster_eks_namespaces",
    ),
    "hpa min above max": (
        lambda s: s["workloads"][0]["hpa"].update(min=11),
        "cluster_eks_workloads[0].hpa.min: 11 is more than hpa.max 10",
    ),
    "request above limit": (
        lambda s: s["workloads"][0]["resources"]["requests"].update(cpu="2"),
        "cluster_eks_workloads[0].resources.requests.cpu: 2 is more than the limit 1000m",
    ),
    "bad quantity": (
        lambda s: s["workloads"][0]["resources"]["limits"].update(memory="1 GB"),
        "cluster_eks_workloads[0].resources.limits.memory: '1 GB' is not a Kubernetes quantity",
    ),
    "probe path": (
        lambda s: s["workloads"][0]["liveness_probe"].update(path="health"),
        "cluster_eks_workloads[0].liveness_probe.path: 'health' must be an HTTP path starting with /",
    ),
    "irsa role missing": (
        lambda s: s["workloads"][0].update(service_account={"name": "x", "irsa_role": "nope"}),
        "cluster_eks_workloads[0].service_account.irsa_role: 'nope' is not in cluster_eks_irsa_roles",
    ),
    "policy ARN": (
        lambda s: s["irsa_roles"][0].update(policy_arns=["AmazonS3ReadOnlyAccess"]),
        "cluster_eks_irsa_roles[0].policy_arns[0]: 'AmazonS3ReadOnlyAccess' is not an IAM policy ARN",
    ),
    "raw object name": (
        lambda s: s.setdefault("objects", []).append(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "App_Config"}}
        ),
        "cluster_eks_objects[0].metadata.name: 'App_Config' is not a valid Kubernetes name (DNS-1123 subdomain",
    ),
    "reserved tag": (lambda s: s.update(tags={"aws:cloudformation": "x"}), "cluster_eks_tags: 'aws:cloudformation'"),
    "HPA on CPU without metrics-server": (
        lambda s: s.update(addons=[a for a in s["addons"] if a["name"] != "metrics-server"]),
        "cluster_eks_workloads[0].hpa: scales on CPU or memory, which a HorizontalPodAutoscaler reads from the "
        "Kubernetes Metrics Server, and EKS does not run one by default; add {name: metrics-server} to cluster_eks_addons",
    ),
    "raw HPA without metrics-server": (
        lambda s: s.update(
            addons=[{"name": "vpc-cni"}],
            workloads=[],
            objects=[
                {
                    "apiVersion": "autoscaling/v2",
                    "kind": "HorizontalPodAutoscaler",
                    "metadata": {"name": "api", "namespace": "app"},
                    "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "api"}, "maxReplicas": 3},
                }
            ],
        ),
        "cluster_eks_objects[0]: scales on CPU or memory",
    ),
}


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_every_eks_inventory_with_hpas_runs_metrics_server(env):
    spec = spec_of(inventory(env))
    assert any(w.get("hpa") for w in spec["workloads"])
    assert "metrics-server" in [a["name"] for a in spec["addons"]]


def test_an_hpa_on_an_external_metric_needs_no_metrics_server():
    def change(s):
        s["addons"] = [a for a in s["addons"] if a["name"] != "metrics-server"]
        for workload in s["workloads"]:
            if workload.get("hpa"):
                workload["hpa"] = {"min": 1, "max": 5, "metrics": [{"type": "External", "external": {}}]}

    assert not [e for e in errors_for(change) if "Metrics Server" in e]


@pytest.mark.parametrize("case", list(CASES))
def test_a_broken_rule_is_named(case):
    change, message = CASES[case]
    errors = errors_for(change)
    assert any(message in e for e in errors), errors


def test_every_problem_is_reported_at_once():
    def change(s):
        s["node_groups"][0].update(min_size=11)
        s.update(log_types=["kubelet"], public_access_cidrs=["nope"])

    assert len(errors_for(change)) == 3


def test_upgrade_rules():
    assert sp.check_upgrade("1.28", "1.28") is None
    assert sp.check_upgrade("1.28", "1.30") is None
    assert "1.27 is older than the cluster's 1.28" in sp.check_upgrade("1.28", "1.27", "cluster_eks_version")
    assert "before any write" in sp.check_upgrade("1.28", "1.27")
    assert sp.upgrade_path("1.28", "1.31") == ["1.29", "1.30", "1.31"]
    assert sp.version_tuple("1.9") < sp.version_tuple("1.10")


def test_taints_go_to_the_api_spelling():
    assert sp.taint_to_api({"key": "workload", "value": "analytics", "effect": "NoSchedule"}) == {
        "key": "workload",
        "value": "analytics",
        "effect": "NO_SCHEDULE",
    }
    assert sp.taint_to_api({"key": "workload-type", "effect": "NO_EXECUTE"}) == {
        "key": "workload-type",
        "effect": "NO_EXECUTE",
    }


def test_irsa_trust_names_one_service_account():
    trust = json.loads(
        sp.irsa_trust(
            "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC",
            "oidc.eks.us-east-1.amazonaws.com/id/ABC",
            "app",
            "api",
        )
    )
    condition = trust["Statement"][0]["Condition"]["StringEquals"]
    assert condition == {
        "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:app:api",
        "oidc.eks.us-east-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
    }


def test_quantities():
    assert kube_sp.parse_quantity("250m") == 0.25
    assert kube_sp.parse_quantity("1000m") == kube_sp.parse_quantity("1") == 1
    assert kube_sp.parse_quantity("1Gi") == 2**30
    assert kube_sp.parse_quantity("512Mi") < kube_sp.parse_quantity("1G")
    with pytest.raises(ValueError):
        kube_sp.parse_quantity("1 GB")


def test_kubernetes_objects_of_the_seed_001_inventory():
    spec = spec_of(inventory())
    objects = cluster_eks_kube_objects(
        spec, {"bank-service": "arn:aws:iam::123456789012:role/moneytrack-prod-irsa-bank-service"}
    )
    kinds = [o["kind"] for o in objects]
    assert kinds[:6] == ["Namespace"] * 6
    assert kinds.count("Deployment") == 4 and kinds.count("HorizontalPodAutoscaler") == 4
    assert kinds[-2:] == ["Ingress", "NetworkPolicy"]
    by_name = {(o["kind"], o["metadata"]["name"]): o for o in objects}
    deployment = by_name[("Deployment", "user-service")]
    assert deployment["metadata"]["namespace"] == "money-tracking-prod"
    assert deployment["spec"]["replicas"] == 3
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"]["limits"] == {"cpu": "1000m", "memory": "1Gi"}
    assert container["livenessProbe"] == {
        "httpGet": {"path": "/health", "port": 3000},
        "initialDelaySeconds": 30,
        "periodSeconds": 10,
        "timeoutSeconds": 5,
        "failureThreshold": 3,
    }
    assert {
        "name": "DATABASE_URL",
        "valueFrom": {"secretKeyRef": {"name": "user-service-secrets", "key": "database-url"}},
    } in container["env"]
    account = by_name[("ServiceAccount", "bank-service-sa")]
    assert account["metadata"]["annotations"] == {
        "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/moneytrack-prod-irsa-bank-service"
    }
    assert "annotations" not in by_name[("ServiceAccount", "user-service-sa")]["metadata"]
    hpa = by_name[("HorizontalPodAutoscaler", "user-service-hpa")]["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (3, 10)
    ingress = by_name[("Ingress", "api-ingress")]
    assert ingress["spec"]["ingressClassName"] == "alb"
    assert ingress["spec"]["rules"][0]["host"] == "api.money-tracking.com"
    assert all(o["metadata"]["labels"]["stackops.platform/cluster"] == "moneytrack-prod" for o in objects)
    assert all(kube_sp.validate_manifest(o, "x") == [] for o in objects)


def test_seed_002_spot_workers_are_valid():
    spec = {
        "name": "llm-brand-monitor-prod",
        "version": "1.28",
        "node_groups": [
            {
                "name": "spot-workers",
                "instance_types": ["m5.large", "m5a.large", "m6i.large"],
                "capacity_type": "SPOT",
                "min_size": 2,
                "max_size": 20,
                "desired_size": 5,
                "labels": {"workload-type": "background-jobs"},
                "taints": [{"key": "workload-type", "value": "background-jobs", "effect": "NO_SCHEDULE"}],
            }
        ],
    }
    assert cluster_eks_spec_errors(copy.deepcopy(spec)) == []


def test_a_create_naming_a_new_role_is_retried_while_iam_propagates():
    from botocore.exceptions import ClientError

    from ansible_collections.stackops.platform.plugins.module_utils.platform import after_iam_propagation

    def retried(call):
        return after_iam_propagation(
            call, 5, "EKS to accept the role", ("InvalidParameterException",), ("role",), delay=0
        )

    answers = iter(["not yet", "not yet", "done"])

    def create():
        answer = next(answers)
        if answer == "not yet":
            raise ClientError(
                {
                    "Error": {
                        "Code": "InvalidParameterException",
                        "Message": "Role arn:aws:iam::1:role/x cannot be assumed",
                    }
                },
                "CreateCluster",
            )
        return answer

    assert retried(create) == "done"

    def refused():
        raise ClientError(
            {"Error": {"Code": "InvalidParameterException", "Message": "Subnets are invalid"}}, "CreateCluster"
        )

    with pytest.raises(ClientError, match="Subnets are invalid"):
        retried(refused)


def test_long_names_give_distinct_stable_iam_role_names_iam_accepts():
    long_cluster = "moneytrack-development-" + "x" * 60  # EKS takes cluster names of up to 100 characters
    names = sp.Names(long_cluster, "ap-southeast-2")
    irsa = [names.irsa_role("ebs-csi"), names.irsa_role("user-service")]
    every = [names.cluster_role, names.node_role, *irsa]
    assert all(len(n) <= 64 and re.match(r"^[\w+=,.@-]+$", n) for n in every), every
    assert len(set(every)) == 4  # cut to 64 characters, all four were one name
    assert sp.Names(long_cluster, "ap-southeast-2").irsa_role("ebs-csi") == irsa[0]  # the same on every run
    short = sp.Names("moneytrack-prod", "us-east-1")
    assert short.irsa_role("ebs-csi") == "moneytrack-prod-us-east-1-irsa-ebs-csi"  # names that fit are unchanged


def test_several_types_of_one_architecture_are_one_node_group():
    def change(s):
        s["node_groups"][0].update(instance_types=["m5.large", "m5a.large", "m6i.large"], capacity_type="SPOT")
        s["node_groups"][1].update(instance_types=["r6g.large", "r7g.large"])

    assert not [e for e in errors_for(change) if "architecture" in e or "instance type and" in e]
