# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Converge the ECS side of the cluster tier in one pass: read everything, check preconditions, then write.

Order: ECR repositories -> IAM roles (task execution, task) -> log groups -> the cluster (capacity providers,
Container Insights) -> task definitions (a new revision only when the content differs) -> services (rolling,
circuit breaker with rollback) -> service auto scaling -> the wait for the services that changed.
"""

from __future__ import annotations

import json

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from .. import iam_policies
from ..platform import Changes
from ..platform import ReconcileError
from ..platform import WaitTimeout
from ..platform import client_token
from ..platform import create_log_group
from ..platform import create_once
from ..platform import create_role
from ..platform import identity_tags
from ..platform import not_found
from ..platform import partition_for
from ..platform import resource_tags
from ..platform import single_attempt
from ..platform import sync_tags
from ..platform import tags_purged
from ..platform import wait_for
from . import state as st
from .spec import EXECUTION_POLICY_ARN
from .spec import TASK_INLINE_POLICY
from .spec import Names
from .spec import assume_role_policy
from .spec import execution_role_policy
from .spec import lifecycle_policy
from .spec import resolve_image
from .spec import secret_key_of
from .spec import service_defaults
from .spec import task_definition
from .spec import task_definition_view

EXECUTION_INLINE_POLICY = "read-service-secrets"
# Target tracking policies per service: option prefix -> (what the changes say, the predefined metric).
SCALING_METRICS = {
    "cpu": ("CPU", "ECSServiceAverageCPUUtilization"),
    "memory": ("memory", "ECSServiceAverageMemoryUtilization"),
}


def _ecs_tag_list(tags):
    return [{"key": k, "value": v} for k, v in sorted(tags.items())]


class EcsReconciler:
    def __init__(self, params, region, clients, check_mode):
        self.p = params
        self.region = region
        self.c = dict(clients)
        # Creates without an idempotency token: sent once, then looked for after an answer that leaves it
        # unknown whether they acted (platform.create_once). CreateService carries a clientToken.
        if "ecs" in clients:
            self.c["ecs"] = single_attempt(clients["ecs"], "CreateCluster", "RegisterTaskDefinition")
        if "ecr" in clients:
            self.c["ecr"] = single_attempt(clients["ecr"], "CreateRepository")
        self.changes = Changes(check_mode)
        self.warnings = []
        self.partition = partition_for(region)
        self.identity = identity_tags(params["platform"], params["environment"], st.COMPONENT)
        self.names = Names(params["name"], region)
        self.purge_tags = tags_purged(params)
        self.services = [service_defaults(s) for s in params.get("services") or []]
        self.account = None
        self.subnets, self.group_ids = [], []
        self.secret_arns = {}
        self.kms_keys = []
        self.roles = {}
        self.log_groups = {}
        self.repos = {}
        self.cluster = None
        self.definitions = {}  # service -> current latest ACTIVE task definition
        self.current_services = {}
        self.targets, self.policies = {}, {}
        self.definition_arns = {}
        self.repo_uris = {}
        self.changed_services = []
        self.before_snapshot = {}

    @property
    def check_mode(self):
        return self.changes.check_mode

    def tags(self, name=None, **extra):
        return resource_tags(self.identity, self.p.get("tags"), name=name, **extra)

    # -- read --------------------------------------------------------------------------------------------------

    def read(self):
        p, c = self.p, self.c
        self.account = c["sts"].get_caller_identity(aws_retry=True)["Account"]
        if self.services:
            if p.get("subnet_ids"):
                self.subnets = list(p["subnet_ids"])
            else:
                self.subnets, _vpc = st.find_subnets(c["ec2"], p["platform"], p["environment"], "private")
            self.group_ids = list(p.get("security_group_ids") or [])
            if not self.group_ids:
                found = st.find_group(c["ec2"], p["platform"], p["environment"], "app")
                self.group_ids = [found] if found else []
            wanted = {
                secret_key_of(v) for s in self.services for v in s["secrets"].values() if not str(v).startswith("arn:")
            }
            self.secret_arns = dict(p.get("secrets") or {})
            if wanted - set(self.secret_arns):
                self.secret_arns.update(
                    {
                        k: v
                        for k, v in st.find_secrets(c["secretsmanager"], p["platform"], p["environment"]).items()
                        if k not in self.secret_arns
                    }
                )
            if wanted and p.get("secrets_kms_key_arn") is None:
                key = st.find_kms_key(c["kms"], p["platform"], p["environment"], "secrets")
                self.kms_keys = [key] if key else []
            elif p.get("secrets_kms_key_arn"):
                self.kms_keys = [p["secrets_kms_key_arn"]]
            self.roles = {
                name: st.read_role(c["iam"], name) for name in (self.names.execution_role, self.names.task_role)
            }
            self.log_groups = st.read_log_groups(c["logs"], f"/aws/ecs/{self.names.base}/")
            for service in self.services:
                self.definitions[service["name"]] = st.read_task_definition(
                    c["ecs"], self.names.family(service["name"])
                )
        if p.get("ecr_repositories"):
            self.repos = st.read_repositories(c["ecr"], f"{self.names.base}/")
        self.cluster = st.read_cluster(c["ecs"], self.names.cluster)
        if self.cluster and self.services:
            self.current_services = st.read_services(c["ecs"], self.names.cluster, [s["name"] for s in self.services])
            ids = [self.names.resource_id(s["name"]) for s in self.services]
            self.targets, self.policies = st.read_scaling(c["application-autoscaling"], ids)

    # -- desired forms --------------------------------------------------------------------------------------------

    @property
    def registry(self):
        return f"{self.account}.dkr.ecr.{self.region}.amazonaws.com"

    def role_arn(self, name):
        return f"arn:{self.partition}:iam::{self.account}:role/{name}"

    def image(self, service):
        repos = {r: self.names.repository(r) for r in self.p.get("ecr_repositories") or []}
        return resolve_image(service["image"], repos, self.registry)

    def desired_definition(self, service):
        return task_definition(
            self.names,
            service,
            self.image(service),
            self.region,
            self.secret_arns,
            self.role_arn(self.names.execution_role),
            self.role_arn(self.names.task_role),
        )

    def cluster_view(self, cluster):
        if not cluster:
            return None
        settings = {s["name"]: s["value"] for s in cluster.get("settings") or []}
        return {
            "capacity_providers": sorted(cluster.get("capacityProviders") or []),
            "strategy": [
                {"capacity_provider": s["capacityProvider"], "weight": s.get("weight", 0), "base": s.get("base", 0)}
                for s in cluster.get("defaultCapacityProviderStrategy") or []
            ],
            "container_insights": settings.get("containerInsights", "disabled"),
        }

    def desired_cluster(self):
        return {
            "capacity_providers": sorted(self.p.get("capacity_providers") or ["FARGATE", "FARGATE_SPOT"]),
            "strategy": [
                {"capacity_provider": s["capacity_provider"], "weight": s.get("weight", 1), "base": s.get("base", 0)}
                for s in self.p.get("capacity_provider_strategy")
                or [{"capacity_provider": "FARGATE", "weight": 1, "base": 1}]
            ],
            "container_insights": "enabled" if self.p.get("container_insights", True) else "disabled",
        }

    def strategy_for(self, service):
        if service.get("spot"):
            return [
                {"capacityProvider": "FARGATE", "weight": 1, "base": 1},
                {"capacityProvider": "FARGATE_SPOT", "weight": 3, "base": 0},
            ]
        return [
            {"capacityProvider": s["capacity_provider"], "weight": s["weight"], "base": s["base"]}
            for s in self.desired_cluster()["strategy"]
        ]

    def service_view(self, service):
        """The managed parts of a described service (what update_service changes)."""
        if not service:
            return None
        network = (service.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
        deployment = service.get("deploymentConfiguration") or {}
        breaker = deployment.get("deploymentCircuitBreaker") or {}
        return {
            "task_definition": (service.get("taskDefinition") or "").rsplit("/", 1)[-1],
            "subnets": sorted(network.get("subnets") or []),
            "security_groups": sorted(network.get("securityGroups") or []),
            "public_ip": network.get("assignPublicIp", "DISABLED"),
            "load_balancers": sorted(
                f"{lb.get('targetGroupArn')}:{lb.get('containerName')}:{lb.get('containerPort')}"
                for lb in service.get("loadBalancers") or []
            ),
            "capacity_provider_strategy": sorted(
                f"{s['capacityProvider']}:{s.get('weight', 0)}:{s.get('base', 0)}"
                for s in service.get("capacityProviderStrategy") or []
            ),
            "minimum_healthy_percent": deployment.get("minimumHealthyPercent"),
            "maximum_percent": deployment.get("maximumPercent"),
            "circuit_breaker": [breaker.get("enable", False), breaker.get("rollback", False)],
            "health_check_grace_period": service.get("healthCheckGracePeriodSeconds")
            if service.get("loadBalancers")
            else None,
        }

    def desired_service(self, service, definition):
        target = (self.p.get("target_groups") or {}).get(service["name"])
        port = service.get("port")
        lbs = (
            [{"targetGroupArn": target, "containerName": service["name"], "containerPort": port}]
            if target and port
            else []
        )
        return {
            "networkConfiguration": {
                "awsvpcConfiguration": {
                    "subnets": self.subnets,
                    "securityGroups": self.group_ids,
                    "assignPublicIp": "DISABLED",
                }
            },
            "loadBalancers": lbs,
            "taskDefinition": definition,
            "capacityProviderStrategy": self.strategy_for(service),
            "deploymentConfiguration": {
                "deploymentCircuitBreaker": {"enable": True, "rollback": True},
                "maximumPercent": self.p.get("deployment_max_percent") or 200,
                "minimumHealthyPercent": self.p.get("deployment_min_healthy_percent", 100),
            },
            "healthCheckGracePeriodSeconds": service["health_check_grace_period"] if lbs else None,
        }

    def scaling_view(self, name):
        target = self.targets.get(self.names.resource_id(name))
        view = {
            "min": target.get("MinCapacity") if target else None,
            "max": target.get("MaxCapacity") if target else None,
        }
        for metric in SCALING_METRICS:
            policy = self.policies.get(self.names.scaling_policy(name, metric))
            config = (policy or {}).get("TargetTrackingScalingPolicyConfiguration") or {}
            view[f"{metric}_target"] = config.get("TargetValue") if policy else None
        return view

    def snapshot(self, desired=False):
        services, definitions, scaling = {}, {}, {}
        for service in self.services:
            name = service["name"]
            if desired:
                definitions[name] = _definition_summary(task_definition_view(self.desired_definition(service)))
                services[name] = {
                    "desired_tasks_on_create": service["desired_tasks"] or service["min_tasks"],
                    "target_group": bool(
                        (self.p.get("target_groups") or {}).get(name) or (name in (self.p.get("target_groups") or {}))
                    ),
                    "deployment": "rolling 100%/200%, circuit breaker with rollback",
                }
                scaling[name] = {
                    "min": service["min_tasks"],
                    "max": service["max_tasks"],
                    "cpu_target": float(service["cpu_target"]),
                    "memory_target": float(service["memory_target"]) if service["memory_target"] else None,
                }
            else:
                definitions[name] = _definition_summary(task_definition_view(self.definitions.get(name)))
                current = self.current_services.get(name)
                services[name] = (
                    {
                        "task_definition": self.service_view(current)["task_definition"],
                        "desired_tasks": current.get("desiredCount"),
                    }
                    if current
                    else None
                )
                scaling[name] = self.scaling_view(name)
        return {
            "cluster": self.desired_cluster() if desired else self.cluster_view(self.cluster),
            "task_definitions": definitions,
            "services": services,
            "scaling": scaling,
            "ecr_repositories": (
                sorted(self.names.repository(r) for r in self.p.get("ecr_repositories") or [])
                if desired
                else sorted(self.repos)
            ),
        }

    # -- converge --------------------------------------------------------------------------------------------------

    def converge(self):
        self.read()
        self.before_snapshot = self.snapshot()
        self.check()
        self.converge_repositories()
        if self.services:
            self.converge_roles()
            self.converge_log_groups()
        self.converge_cluster()
        for service in self.services:
            self.converge_service(service)
        self.converge_scaling()
        if self.p.get("wait") and self.changed_services and not self.check_mode:
            self.wait()

    def after(self):
        return self.snapshot(desired=True)

    def check(self):
        p = self.p
        problems = []
        if self.services and not self.subnets:
            problems.append(
                f"subnet_ids: no private subnets of the network tier for {p['platform']}-{p['environment']} in {self.region}; "
                "converge playbooks/network.yml first, or give subnet_ids"
            )
        if self.services and not self.group_ids:
            problems.append(
                f"security_group_ids: no app security group of the security tier for {p['platform']}-{p['environment']}; "
                "converge playbooks/security.yml first, or give security_group_ids"
            )
        for index, service in enumerate(self.services):
            for env, value in sorted(service["secrets"].items()):
                key = secret_key_of(value)
                if not str(key).startswith("arn:") and key not in self.secret_arns:
                    known = ", ".join(sorted(self.secret_arns)) or "none"
                    problems.append(
                        f"services[{index}].secrets.{env}: {key!r} is not a secret of the security tier (found: {known})"
                    )
        for name in p.get("target_groups") or {}:
            if name not in {s["name"] for s in self.services}:
                problems.append(f"target_groups: {name!r} is not a service")
        if problems and not self.check_mode:
            raise ReconcileError("; ".join(problems))
        self.warnings.extend(f"(check mode) {problem}" for problem in problems)

    def converge_repositories(self):
        ecr = self.c["ecr"]
        policy = lifecycle_policy(self.p.get("ecr_keep_images") or 30, self.p.get("ecr_untagged_days") or 7)
        mutability = self.p.get("ecr_image_tag_mutability") or "MUTABLE"
        scan = bool(self.p.get("ecr_scan_on_push", True))
        for short in self.p.get("ecr_repositories") or []:
            name = self.names.repository(short)
            repo = self.repos.get(name)
            tags = self.tags(name)
            if repo is None:
                self.repo_uris[short] = f"{self.registry}/{name}"
                if self.changes.add(
                    f"create ECR repository {name} (scan on push {'on' if scan else 'off'}, {mutability})"
                ):
                    repo = create_once(
                        lambda name=name, tags=tags: ecr.create_repository(
                            repositoryName=name,
                            imageTagMutability=mutability,
                            imageScanningConfiguration={"scanOnPush": scan},
                            encryptionConfiguration={"encryptionType": "AES256"},
                            tags=ansible_dict_to_boto3_tag_list(tags),
                        ),
                        lambda name=name: not_found(
                            lambda: {
                                "repository": ecr.describe_repositories(repositoryNames=[name])["repositories"][0]
                            },
                            "RepositoryNotFoundException",
                        ),
                        f"ECR repository {name}",
                        self.warnings,
                    )["repository"]
                    self.repo_uris[short] = repo["repositoryUri"]
                    ecr.put_lifecycle_policy(
                        repositoryName=name, lifecyclePolicyText=json.dumps(policy), aws_retry=True
                    )
                else:
                    self.changes.add(f"set the lifecycle policy of ECR repository {name}")
                continue
            self.repo_uris[short] = repo["repositoryUri"]
            if repo.get("imageTagMutability") != mutability and self.changes.add(
                f"ECR repository {name}: tags {mutability}"
            ):
                ecr.put_image_tag_mutability(repositoryName=name, imageTagMutability=mutability, aws_retry=True)
            if (repo.get("imageScanningConfiguration") or {}).get("scanOnPush") != scan and self.changes.add(
                f"ECR repository {name}: scan on push {'on' if scan else 'off'}"
            ):
                ecr.put_image_scanning_configuration(
                    repositoryName=name, imageScanningConfiguration={"scanOnPush": scan}, aws_retry=True
                )
            if repo.get("lifecycle") != policy and self.changes.add(
                f"set the lifecycle policy of ECR repository {name}"
            ):
                ecr.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=json.dumps(policy), aws_retry=True)
            sync_tags(
                self.changes,
                ecr,
                "ecr",
                repo["repositoryArn"],
                f"ECR repository {name}",
                repo.get("tagMap"),
                tags,
                self.purge_tags,
            )

    def converge_roles(self):
        iam = self.c["iam"]
        trust = assume_role_policy(self.account, self.region, self.partition)
        secrets = sorted(
            {
                v if str(v).startswith("arn:") else self.secret_arns.get(secret_key_of(v), v)
                for s in self.services
                for v in s["secrets"].values()
            }
        )
        secrets = [arn for arn in secrets if str(arn).startswith("arn:")]
        wanted = {
            self.names.execution_role: (
                [EXECUTION_POLICY_ARN.format(partition=self.partition)],
                {EXECUTION_INLINE_POLICY: execution_role_policy(secrets, self.kms_keys if secrets else [])},
                "ECS task execution: pull images, write logs, read the services' secrets",
            ),
            self.names.task_role: (
                [],
                {
                    TASK_INLINE_POLICY: (
                        {"Version": "2012-10-17", "Statement": self.p["task_role_policy_statements"]}
                        if self.p.get("task_role_policy_statements")
                        else None
                    )
                },
                "ECS tasks: what the application may call",
            ),
        }
        for name, (managed, inline, description) in wanted.items():
            role = self.roles.get(name)
            tags = self.tags(name)
            if role is None:
                if self.changes.add(f"create IAM role {name}"):
                    create_role(
                        iam,
                        dict(
                            RoleName=name,
                            AssumeRolePolicyDocument=json.dumps(trust),
                            Description=description,
                            Tags=ansible_dict_to_boto3_tag_list(tags),
                        ),
                        self.warnings,
                    )
                role = {"trust": trust, "attached": [], "inline": {}, "tagMap": tags}
            elif role["trust"] != trust and self.changes.add(
                f"IAM role {name}: set the trust policy (ECS tasks of this account)"
            ):
                iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust), aws_retry=True)
            for arn in managed:
                if arn not in role["attached"] and self.changes.add(
                    f"IAM role {name}: attach {arn.rsplit('/', 1)[-1]}"
                ):
                    iam.attach_role_policy(RoleName=name, PolicyArn=arn, aws_retry=True)
            for policy_name, document in inline.items():
                current = role["inline"].get(policy_name)
                if document is None:
                    if current is not None and self.changes.add(
                        f"IAM role {name}: remove the inline policy {policy_name}"
                    ):
                        iam.delete_role_policy(RoleName=name, PolicyName=policy_name, aws_retry=True)
                elif current != document and self.changes.add(f"IAM role {name}: set the inline policy {policy_name}"):
                    iam.put_role_policy(
                        RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(document), aws_retry=True
                    )
            if name == self.names.task_role:
                iam_policies.converge(
                    iam,
                    self.changes,
                    name,
                    self.p.get("task_role_policies") or [],
                    {k: v for k, v in role["inline"].items() if k != TASK_INLINE_POLICY},
                    role["attached"],
                    self.partition,
                    self.account,
                    tags,
                )
            if role is self.roles.get(name):  # one just created has its tags
                sync_tags(
                    self.changes, iam, "iam_role", name, f"IAM role {name}", role.get("tagMap"), tags, self.purge_tags
                )

    def converge_log_groups(self):
        logs = self.c["logs"]
        retention = self.p.get("log_retention_days") or 90
        kms = self.p.get("log_kms_key_arn")
        for service in self.services:
            name = self.names.log_group(service["name"])
            group = self.log_groups.get(name)
            if group is None:
                if self.changes.add(f"create log group {name} (retention {retention} days)"):
                    params = {"logGroupName": name, "tags": self.tags(name)}
                    if kms:
                        params["kmsKeyId"] = kms
                    create_log_group(logs, params, self.warnings)
                    logs.put_retention_policy(logGroupName=name, retentionInDays=retention, aws_retry=True)
                continue
            if group.get("retentionInDays") != retention and self.changes.add(
                f"log group {name}: retention {retention} days"
            ):
                logs.put_retention_policy(logGroupName=name, retentionInDays=retention, aws_retry=True)
            if kms and group.get("kmsKeyId") != kms and self.changes.add(f"log group {name}: encrypt with {kms}"):
                logs.associate_kms_key(logGroupName=name, kmsKeyId=kms, aws_retry=True)

    def converge_cluster(self):
        ecs = self.c["ecs"]
        desired = self.desired_cluster()
        name = self.names.cluster
        strategy = [
            {"capacityProvider": s["capacity_provider"], "weight": s["weight"], "base": s["base"]}
            for s in desired["strategy"]
        ]
        settings = [{"name": "containerInsights", "value": desired["container_insights"]}]
        if self.cluster is None:
            if self.changes.add(
                f"create ECS cluster {name} ({', '.join(desired['capacity_providers'])}, Container Insights {desired['container_insights']})"
            ):
                self.cluster = create_once(
                    lambda: ecs.create_cluster(
                        clusterName=name,
                        capacityProviders=desired["capacity_providers"],
                        defaultCapacityProviderStrategy=strategy,
                        settings=settings,
                        tags=_ecs_tag_list(self.tags(name)),
                    ),
                    lambda: self._find_cluster(name),
                    f"ECS cluster {name}",
                    self.warnings,
                )["cluster"]
            return
        current = self.cluster_view(self.cluster)
        if (current["capacity_providers"], current["strategy"]) != (desired["capacity_providers"], desired["strategy"]):
            if self.changes.add(f"ECS cluster {name}: capacity providers {', '.join(desired['capacity_providers'])}"):
                ecs.put_cluster_capacity_providers(
                    cluster=name,
                    capacityProviders=desired["capacity_providers"],
                    defaultCapacityProviderStrategy=strategy,
                    aws_retry=True,
                )
        if current["container_insights"] != desired["container_insights"] and self.changes.add(
            f"ECS cluster {name}: Container Insights {desired['container_insights']}"
        ):
            ecs.update_cluster(cluster=name, settings=settings, aws_retry=True)
        sync_tags(
            self.changes,
            ecs,
            "ecs",
            self.cluster["clusterArn"],
            f"ECS cluster {name}",
            self.cluster.get("tagMap"),
            self.tags(name),
            self.purge_tags,
        )

    def converge_service(self, service):
        ecs = self.c["ecs"]
        name = service["name"]
        family = self.names.family(name)
        desired_definition = self.desired_definition(service)
        current_definition = self._definition_in_use(name, family, desired_definition)
        if current_definition and task_definition_view(current_definition) == task_definition_view(desired_definition):
            revision = f"{family}:{current_definition['revision']}"
        else:
            revision = f"{family}:{(current_definition or {}).get('revision', 0) + 1}"
            what = "register" if current_definition is None else "register a new revision of"
            if self.changes.add(
                f"{what} task definition {family} ({_change_summary(current_definition, desired_definition)})"
            ):
                known = (current_definition or {}).get("revision", 0)
                registered = create_once(
                    lambda: ecs.register_task_definition(
                        tags=_ecs_tag_list(self.tags(family, **{st.TAG_SERVICE: name})), **desired_definition
                    ),
                    lambda: self._registered_since(family, known, desired_definition),
                    f"task definition {family}",
                    self.warnings,
                )["taskDefinition"]
                revision = f"{family}:{registered['revision']}"
        self.definition_arns[name] = f"arn:{self.partition}:ecs:{self.region}:{self.account}:task-definition/{revision}"
        desired = self.desired_service(service, revision)
        current = self.current_services.get(name)
        if current is None:
            count = service["desired_tasks"] or service["min_tasks"]
            if self.changes.add(f"create ECS service {name} ({count} tasks of {revision})"):
                params = {k: v for k, v in desired.items() if v not in (None, [])}
                ecs.create_service(
                    cluster=self.names.cluster,
                    serviceName=name,
                    desiredCount=count,
                    schedulingStrategy="REPLICA",
                    deploymentController={"type": "ECS"},
                    propagateTags="SERVICE",
                    enableECSManagedTags=True,
                    clientToken=client_token(),  # a retry after a lost response returns the first service
                    tags=_ecs_tag_list(self.tags(name, **{st.TAG_SERVICE: name})),
                    aws_retry=True,
                    **params,
                )
                self.changed_services.append(name)
            return
        before, after = self.service_view(current), self.service_view({**desired, "taskDefinition": revision})
        differs = sorted(k for k in after if before.get(k) != after[k])
        update = {}
        if differs:
            update = {k: v for k, v in desired.items() if v is not None}
        count = current.get("desiredCount", 0)
        if not service["min_tasks"] <= count <= service["max_tasks"]:
            update["desiredCount"] = min(max(count, service["min_tasks"]), service["max_tasks"])
            differs.append(f"desired tasks {count} -> {update['desiredCount']}")
        if update and self.changes.add(f"update ECS service {name}: {', '.join(differs)}"):
            if "capacity_provider_strategy" in differs:
                update["forceNewDeployment"] = True
            ecs.update_service(cluster=self.names.cluster, service=name, aws_retry=True, **update)
            self.changed_services.append(name)
        sync_tags(
            self.changes,
            ecs,
            "ecs",
            current["serviceArn"],
            f"ECS service {name}",
            current.get("tagMap"),
            self.tags(name, **{st.TAG_SERVICE: name}),
            self.purge_tags,
        )

    def _find_cluster(self, name):
        found = st.read_cluster(self.c["ecs"], name)
        return {"cluster": found} if found else None

    def _registered_since(self, family, known, desired):
        """The revision a RegisterTaskDefinition whose answer was lost made: newer than ``known``, same content."""
        latest = st.read_task_definition(self.c["ecs"], family)
        if latest and latest["revision"] > known and task_definition_view(latest) == task_definition_view(desired):
            return {"taskDefinition": latest}
        return None

    def _definition_in_use(self, name, family, desired):
        """The latest ACTIVE revision, unless the service runs an older one with the same content: then that
        one, and the newer identical revision (a register retried after its answer was lost) is deregistered,
        so the service is not redeployed for nothing and no stray revision is left."""
        latest = self.definitions.get(name)
        service = self.current_services.get(name)
        if not latest or not service:
            return latest
        in_use = service.get("taskDefinition", "").rsplit("/", 1)[-1]
        if not in_use.startswith(f"{family}:") or in_use == f"{family}:{latest['revision']}":
            return latest
        view = task_definition_view(latest)
        if view != task_definition_view(desired):
            return latest
        used = st.read_task_definition(self.c["ecs"], in_use)
        if not used or task_definition_view(used) != view:
            return latest
        extra = f"{family}:{latest['revision']}"
        if self.changes.add(
            f"deregister task definition {extra} (the same as {in_use}, which service {name} runs: left by a "
            "register whose answer was lost)"
        ):
            self.c["ecs"].deregister_task_definition(taskDefinition=extra, aws_retry=True)
        return used

    def converge_scaling(self):
        scaling = self.c["application-autoscaling"]
        for service in self.services:
            name = service["name"]
            resource = self.names.resource_id(name)
            current = self.scaling_view(name)
            low, high = service["min_tasks"], service["max_tasks"]
            if (current["min"], current["max"]) != (low, high) and self.changes.add(
                f"scale ECS service {name} between {low} and {high} tasks"
            ):
                scaling.register_scalable_target(
                    ServiceNamespace="ecs",
                    ResourceId=resource,
                    ScalableDimension="ecs:service:DesiredCount",
                    MinCapacity=low,
                    MaxCapacity=high,
                    aws_retry=True,
                )
            for metric, (label, predefined) in SCALING_METRICS.items():
                target = float(service[f"{metric}_target"]) if service[f"{metric}_target"] else None
                policy_name = self.names.scaling_policy(name, metric)
                if target is None:
                    if current[f"{metric}_target"] is not None and self.changes.add(
                        f"ECS service {name}: stop target tracking on {label}"
                    ):
                        scaling.delete_scaling_policy(
                            PolicyName=policy_name,
                            ServiceNamespace="ecs",
                            ResourceId=resource,
                            ScalableDimension="ecs:service:DesiredCount",
                            aws_retry=True,
                        )
                    continue
                if current[f"{metric}_target"] != target and self.changes.add(
                    f"ECS service {name}: target tracking on {label} at {target:g}%"
                ):
                    # Target tracking on several metrics: scale out when any is above its target, in only when
                    # all are below (AWS: https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-target-tracking.html).
                    scaling.put_scaling_policy(
                        PolicyName=policy_name,
                        ServiceNamespace="ecs",
                        ResourceId=resource,
                        ScalableDimension="ecs:service:DesiredCount",
                        PolicyType="TargetTrackingScaling",
                        TargetTrackingScalingPolicyConfiguration={
                            "TargetValue": target,
                            "PredefinedMetricSpecification": {"PredefinedMetricType": predefined},
                            "ScaleOutCooldown": 60,
                            "ScaleInCooldown": 300,
                        },
                        aws_retry=True,
                    )

    def wait(self):
        """Wait until every changed service has one deployment, COMPLETED, with its desired count running
        (what ``aws ecs wait services-stable`` waits for); a FAILED rollout stops the run."""
        ecs = self.c["ecs"]

        def stable():
            found = st.read_services(ecs, self.names.cluster, self.changed_services)
            pending = []
            for name in self.changed_services:
                service = found.get(name) or {}
                deployments = service.get("deployments") or []
                primary = next((d for d in deployments if d.get("status") == "PRIMARY"), {})
                if primary.get("rolloutState") == "FAILED":
                    raise ReconcileError(
                        f"ECS service {name}: the deployment failed ({primary.get('rolloutStateReason')}); the circuit "
                        "breaker rolls back to the last good task definition"
                    )
                if (
                    len(deployments) != 1
                    or primary.get("rolloutState", "COMPLETED") != "COMPLETED"  # absent without the circuit breaker
                    or service.get("runningCount") != service.get("desiredCount")
                ):
                    pending.append(name)
            return not pending

        try:
            wait_for(
                stable,
                self.p.get("wait_timeout") or 600,
                f"ECS services {', '.join(self.changed_services)} to be stable",
            )
        except WaitTimeout as error:
            raise ReconcileError(str(error)) from None

    def result(self):
        return {
            "cluster_name": self.names.cluster,
            "cluster_arn": (self.cluster or {}).get("clusterArn"),
            "services": [s["name"] for s in self.services],
            "task_definitions": dict(sorted(self.definition_arns.items())),
            "log_groups": {s["name"]: self.names.log_group(s["name"]) for s in self.services},
            "execution_role_arn": self.role_arn(self.names.execution_role) if self.services else None,
            "task_role_arn": self.role_arn(self.names.task_role) if self.services else None,
            "ecr_repositories": dict(sorted(self.repo_uris.items())),
        }


def _definition_summary(view):
    if not view:
        return None
    container = view["containers"][0] if view["containers"] else {}
    return {
        "image": container.get("image"),
        "cpu": view["cpu"],
        "memory": view["memory"],
        "ports": [p[0] for p in container.get("ports") or []],
        "environment": container.get("environment"),
        "secrets": sorted(container.get("secrets") or {}),
        "command": container.get("command"),
        "health_check": (container.get("health_check") or {}).get("command"),
        "log_group": (container.get("log") or {}).get("awslogs-group"),
    }


def _change_summary(current, desired):
    if current is None:
        return "new"
    before, after = (
        _definition_summary(task_definition_view(current)),
        _definition_summary(task_definition_view(desired)),
    )
    changed = [k for k in after if before.get(k) != after[k]]
    if before == after:
        changed = ["roles or settings"]
    if "image" in changed:
        changed[changed.index("image")] = f"image {after['image']}"
    return ", ".join(changed)
