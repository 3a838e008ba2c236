# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Read the ECS side of the cluster tier, and find what earlier tiers made (by their tags).

One call per resource type where AWS has a batched read: DescribeClusters, DescribeServices (10 at a time),
DescribeLogGroups (by prefix), DescribeScalableTargets, DescribeScalingPolicies, DescribeRepositories. Task
definitions have no batched read: DescribeTaskDefinition per family (the latest ACTIVE revision).
"""

from __future__ import annotations

import json

from .._alb.spec import Names as AlbNames
from ..platform import identity_tags
from ..platform import not_found
from ..platform import paginate
from ..platform import tag_filters
from ..platform import tags_of

COMPONENT = "cluster"
TAG_TIER = "stackops:tier"  # the network tier's subnet tag
TAG_GROUP = "stackops:security-group"  # the security tier's group tag
TAG_SECRET = "stackops:secret-key"  # the security tier's secret tag
TAG_SERVICE = "stackops:service"


def ecs_tags(tags):
    return {t["key"]: t["value"] for t in tags or []}


# -- earlier tiers ---------------------------------------------------------------------------------------------------


def find_subnets(ec2, platform, environment, tier):
    """Subnet ids of a tier of the network (tags stackops:component=network, stackops:tier), and their VPC."""
    filters = tag_filters(identity_tags(platform, environment, "network")) + [
        {"Name": f"tag:{TAG_TIER}", "Values": [tier]}
    ]
    subnets = paginate(ec2, "describe_subnets", "Subnets", Filters=filters)
    subnets.sort(key=lambda s: s["AvailabilityZone"])
    return [s["SubnetId"] for s in subnets], (subnets[0]["VpcId"] if subnets else None)


def find_group(ec2, platform, environment, key):
    """The id of the security tier's group ``key`` (alb, app), or None."""
    filters = tag_filters(identity_tags(platform, environment, "security")) + [
        {"Name": f"tag:{TAG_GROUP}", "Values": [key]}
    ]
    groups = ec2.describe_security_groups(Filters=filters, aws_retry=True)["SecurityGroups"]
    return groups[0]["GroupId"] if groups else None


def find_secrets(secretsmanager, platform, environment):
    """{secret key: ARN} of the security tier's secrets (not those scheduled for deletion)."""
    identity = identity_tags(platform, environment, "security")
    filters = [{"Key": "tag-key", "Values": [TAG_SECRET]}, {"Key": "tag-value", "Values": [platform]}]
    found = {}
    for secret in paginate(secretsmanager, "list_secrets", "SecretList", Filters=filters):
        tags = tags_of(secret)
        if (
            all(tags.get(k) == v for k, v in identity.items())
            and tags.get(TAG_SECRET)
            and not secret.get("DeletedDate")
        ):
            found[tags[TAG_SECRET]] = secret["ARN"]
    return found


def find_kms_key(kms, platform, environment, purpose):
    """The ARN of the security tier's key for ``purpose`` (by its alias), or None."""
    answer = not_found(
        lambda: kms.describe_key(KeyId=f"alias/{platform}-{environment}-{purpose}", aws_retry=True), "NotFoundException"
    )
    return answer["KeyMetadata"]["Arn"] if answer else None


# -- the tier --------------------------------------------------------------------------------------------------------


def read_cluster(ecs, name):
    answer = ecs.describe_clusters(clusters=[name], include=["SETTINGS", "TAGS"], aws_retry=True)
    cluster = next(
        (c for c in answer.get("clusters", []) if c.get("status") not in ("INACTIVE", "DEPROVISIONING")), None
    )
    if cluster is not None:
        cluster["tagMap"] = ecs_tags(cluster.get("tags"))
    return cluster


def read_services(ecs, cluster, names):
    found = {}
    names = list(names)
    for start in range(0, len(names), 10):  # DescribeServices takes at most 10
        answer = ecs.describe_services(
            cluster=cluster, services=names[start : start + 10], include=["TAGS"], aws_retry=True
        )
        for service in answer.get("services", []):
            if service.get("status") != "INACTIVE":
                service["tagMap"] = ecs_tags(service.get("tags"))
                found[service["serviceName"]] = service
    return found


def read_task_definition(ecs, family):
    answer = not_found(
        lambda: ecs.describe_task_definition(taskDefinition=family, include=["TAGS"], aws_retry=True),
        "ClientException",
        "InvalidParameterException",
    )
    if not answer or answer["taskDefinition"].get("status") != "ACTIVE":
        return None
    definition = answer["taskDefinition"]
    definition["tagMap"] = ecs_tags(answer.get("tags"))
    return definition


def read_log_groups(logs, prefix):
    return {g["logGroupName"]: g for g in paginate(logs, "describe_log_groups", "logGroups", logGroupNamePrefix=prefix)}


def read_role(iam, name):
    role = not_found(lambda: iam.get_role(RoleName=name, aws_retry=True), "NoSuchEntity")
    if role is None:
        return None
    role = role["Role"]
    document = role.get("AssumeRolePolicyDocument")
    role["trust"] = json.loads(document) if isinstance(document, str) else document
    role["attached"] = sorted(
        p["PolicyArn"] for p in paginate(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name)
    )
    role["inline"] = {}
    for policy in paginate(iam, "list_role_policies", "PolicyNames", RoleName=name):
        document = iam.get_role_policy(RoleName=name, PolicyName=policy, aws_retry=True)["PolicyDocument"]
        role["inline"][policy] = json.loads(document) if isinstance(document, str) else document
    role["tagMap"] = tags_of(role)
    return role


def read_scaling(autoscaling, resource_ids):
    targets = {}
    if resource_ids:
        for target in paginate(
            autoscaling,
            "describe_scalable_targets",
            "ScalableTargets",
            ServiceNamespace="ecs",
            ResourceIds=list(resource_ids),
        ):
            targets[target["ResourceId"]] = target
    policies = {}
    for policy in paginate(autoscaling, "describe_scaling_policies", "ScalingPolicies", ServiceNamespace="ecs"):
        if policy["ResourceId"] in resource_ids:
            policies[policy["PolicyName"]] = policy
    return targets, policies


def read_repositories(ecr, prefix):
    found = {}
    for repo in paginate(ecr, "describe_repositories", "repositories"):
        if not repo["repositoryName"].startswith(prefix):
            continue
        policy = not_found(
            lambda repo=repo: ecr.get_lifecycle_policy(repositoryName=repo["repositoryName"], aws_retry=True),
            "LifecyclePolicyNotFoundException",
        )
        repo["lifecycle"] = json.loads(policy["lifecyclePolicyText"]) if policy else None
        tags = ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"], aws_retry=True).get("tags", [])
        repo["tagMap"] = {t["Key"]: t["Value"] for t in tags}
        found[repo["repositoryName"]] = repo
    return found


# -- what ecs_platform_info returns ----------------------------------------------------------------------------------

INFO_SERVICES = {"ecs": "ecs", "elbv2": "elbv2", "ecr": "ecr"}


def discover(clients, name):
    """The cluster, its services (with deployments), the load balancer and the ECR repositories of ``name``."""
    cluster = read_cluster(clients["ecs"], name)
    found = {
        "exists": cluster is not None,
        "cluster": None,
        "services": {},
        "load_balancer": None,
        "ecr_repositories": {},
    }
    if cluster:
        settings = {s["name"]: s["value"] for s in cluster.get("settings") or []}
        found["cluster"] = {
            "name": cluster["clusterName"],
            "arn": cluster["clusterArn"],
            "status": cluster.get("status"),
            "capacity_providers": sorted(cluster.get("capacityProviders") or []),
            "container_insights": settings.get("containerInsights", "disabled"),
        }
        arns = paginate(clients["ecs"], "list_services", "serviceArns", cluster=name)
        services = read_services(clients["ecs"], name, [a.rsplit("/", 1)[-1] for a in arns])
        for service_name, service in sorted(services.items()):
            found["services"][service_name] = {
                "arn": service["serviceArn"],
                "task_definition": service.get("taskDefinition"),
                "desired": service.get("desiredCount"),
                "running": service.get("runningCount"),
                "pending": service.get("pendingCount"),
                "status": service.get("status"),
                "deployments": [
                    {
                        "id": d.get("id"),
                        "status": d.get("status"),
                        "task_definition": d.get("taskDefinition"),
                        "rollout_state": d.get("rolloutState"),
                        "running": d.get("runningCount"),
                        "desired": d.get("desiredCount"),
                    }
                    for d in service.get("deployments") or []
                ],
            }
    elb = clients["elbv2"]
    lb_name = AlbNames(name).load_balancer
    answer = not_found(lambda: elb.describe_load_balancers(Names=[lb_name], aws_retry=True), "LoadBalancerNotFound")
    if answer and answer.get("LoadBalancers"):
        lb = answer["LoadBalancers"][0]
        groups = paginate(elb, "describe_target_groups", "TargetGroups", LoadBalancerArn=lb["LoadBalancerArn"])
        found["load_balancer"] = {
            "name": lb_name,
            "arn": lb["LoadBalancerArn"],
            "dns_name": lb.get("DNSName"),
            "zone_id": lb.get("CanonicalHostedZoneId"),
            "target_groups": {
                g["TargetGroupName"].removeprefix(f"{name}-"): g["TargetGroupArn"]
                for g in sorted(groups, key=lambda g: g["TargetGroupName"])
            },
        }
    for repo in paginate(clients["ecr"], "describe_repositories", "repositories"):
        if repo["repositoryName"].startswith(f"{name}/"):
            found["ecr_repositories"][repo["repositoryName"].removeprefix(f"{name}/")] = repo["repositoryUri"]
    return found


def info(clients, params, region):  # pylint: disable=unused-argument
    """``(exists, facts)``: ``discover`` of the environment's cluster (default name ``<platform>-<environment>``)."""
    found = discover(clients, params["name"] or f"{params['platform']}-{params['environment']}")
    return found.pop("exists"), found
