# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Converge the ECS side of the cluster tier in one pass: read everything, check preconditions, then write.

Order: ECR repositories -> IAM roles (task execution, task) -> log groups -> the cluster (capacity providers,
Container Insights) -> task definitions (a new revision only when the content differs) -> services (rolling,
circuit breaker with rollback) -> service auto scaling -> the wait for the services that changed.

The reconciler reads, checks and holds the state; its parts write: ``repositories.py``, ``roles.py`` (roles and
log groups), ``cluster.py``, ``services.py`` (task definitions, services, the wait), ``scaling.py``.
"""

from __future__ import annotations

from ..platform import Changes
from ..platform import ReconcileError
from ..platform import identity_tags
from ..platform import partition_for
from ..platform import resource_tags
from ..platform import single_attempt
from ..platform import tags_purged
from . import state as st
from .cluster import Cluster
from .repositories import Repositories
from .roles import LogGroups
from .roles import Roles
from .scaling import Scaling
from .services import Services
from .services import definition_summary
from .spec import Names
from .spec import resolve_image
from .spec import secret_key_of
from .spec import service_defaults
from .spec import task_definition
from .spec import task_definition_view


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
        self.service_part = Services(self)
        self.scaling_part = Scaling(self)
        self.cluster_part = Cluster(self)

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

    def strategy_for(self, service):
        if service.get("spot"):
            return [
                {"capacityProvider": "FARGATE", "weight": 1, "base": 1},
                {"capacityProvider": "FARGATE_SPOT", "weight": 3, "base": 0},
            ]
        return [
            {"capacityProvider": s["capacity_provider"], "weight": s["weight"], "base": s["base"]}
            for s in self.cluster_part.desired_cluster()["strategy"]
        ]

    def snapshot(self, desired=False):
        services, definitions, scaling = {}, {}, {}
        for service in self.services:
            name = service["name"]
            if desired:
                definitions[name] = definition_summary(task_definition_view(self.desired_definition(service)))
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
                definitions[name] = definition_summary(task_definition_view(self.definitions.get(name)))
                current = self.current_services.get(name)
                services[name] = (
                    {
                        "task_definition": self.service_part.view(current)["task_definition"],
                        "desired_tasks": current.get("desiredCount"),
                    }
                    if current
                    else None
                )
                scaling[name] = self.scaling_part.view(name)
        return {
            "cluster": self.cluster_part.desired_cluster() if desired else self.cluster_part.cluster_view(self.cluster),
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
        Repositories(self).converge()
        if self.services:
            Roles(self).converge()
            LogGroups(self).converge()
        self.cluster_part.converge()
        for service in self.services:
            self.service_part.converge(service)
        self.scaling_part.converge()
        if self.p.get("wait") and self.changed_services and not self.check_mode:
            self.service_part.wait()

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
