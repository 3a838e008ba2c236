#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ecs_platform
short_description: Converge an ECS Fargate cluster, its services, their auto scaling and ECR repositories in one run
version_added: 0.1.0
description:
  - Reconciles the ECS side of the cluster tier of one environment in one region, with one read per resource
    type where AWS has a batched read, then the writes.
  - B(ECR repositories) C(<name>/<repository>) with scan on push and a lifecycle policy (untagged images expire,
    the newest O(ecr_keep_images) stay).
  - B(IAM roles) C(<name>-ecs-execution-<region>) (the AWS managed C(AmazonECSTaskExecutionRolePolicy) plus reading
    the services' secrets and decrypting them with the security tier's secrets key) and C(<name>-ecs-task-<region>)
    (O(task_role_policy_statements)), both assumable by ECS tasks of this account only.
  - B(Log groups) C(/aws/ecs/<name>/<service>) with a retention.
  - B(The cluster) with the C(FARGATE) and C(FARGATE_SPOT) capacity providers, a default strategy and
    Container Insights.
  - B(Task definitions) C(<name>-<service>), one essential container per service (image, CPU and memory,
    port, environment, secrets as Secrets Manager ARNs, C(awslogs), a container health check). A task
    definition is compared by content with the family's latest revision, so an unchanged spec registers nothing.
  - B(Services) in the private subnets with the application security group, behind their target group,
    rolling with the deployment circuit breaker (rollback on), minimum healthy 100% and maximum 200%.
    A service's desired count is set at creation; afterwards service auto scaling owns it (it is only moved
    back inside the bounds when it is outside them).
  - B(Service auto scaling) between C(min_tasks) and C(max_tasks) with target tracking on average CPU.
  - Subnets, the security group and the secrets are found by the tags of the network and security tiers
    when not given. The spec is validated before any API call; errors name the option.
  - Check mode makes no write call and lists what would change; C(--diff) shows task definitions (image,
    CPU, memory, environment, secret names), services and scaling before and after.
author:
  - stackops platform engineers (@stackops)
options:
  name:
    description: The cluster's name and base name of its resources, conventionally C(<platform>-<environment>).
    type: str
    required: true
  services:
    description:
      - The services. Each is a dict with C(name) (required), C(image) (required; C(api:1.4.2) where C(api) is
        one of O(ecr_repositories) becomes that repository's URI), C(cpu) (Fargate CPU units, default 256),
        C(memory) (MiB, a value Fargate accepts with that CPU, default 512), C(port) (the container port the
        load balancer reaches; none for workers), C(command), C(environment) (dict), C(secrets) (dict of
        variable name to a key of the security tier's secrets, or a secret ARN), C(min_tasks) (2),
        C(max_tasks) (10), C(desired_tasks) (at creation; C(min_tasks) by default), C(cpu_target) (70),
        C(memory_target) (80; target tracking on memory too, 0 for none), C(connections) (C(database), C(cache);
        environment variables from the JSON keys of the connection secrets the data tiers fill), C(stop_timeout) (seconds from SIGTERM
        to SIGKILL, 2-120; ECS's default 30 when unset),
        C(health_check_path) (C(/health)), C(health_check_command), C(container_health_check) (true),
        C(health_check_grace_period) (60), C(spot) (false; run 3 of 4 tasks above the first on Fargate Spot).
      - Omit to manage only the cluster and the repositories.
    type: list
    elements: dict
  subnet_ids:
    description: The services' subnets. By default the network tier's private subnets, found by their tags.
    type: list
    elements: str
  security_group_ids:
    description: The services' security groups. By default the security tier's C(app) group, found by its tags.
    type: list
    elements: str
  secrets:
    description: Secret ARNs by key (the security tier's C(security_secrets) fact, as key to ARN). Keys not given are found by tags.
    type: dict
  secrets_kms_key_arn:
    description: The key the secrets are encrypted with; by default the security tier's C(secrets) key (by alias).
    type: str
  target_groups:
    description: Target group ARNs by service name (the result of M(stackops.platform.alb_platform)).
    type: dict
    default: {}
  capacity_providers:
    description: The cluster's capacity providers.
    type: list
    elements: str
    default: [FARGATE, FARGATE_SPOT]
  capacity_provider_strategy:
    description:
      - The default strategy, a list of dicts with C(capacity_provider), C(weight), C(base).
      - Default one C(FARGATE) task as a base, everything on C(FARGATE).
    type: list
    elements: dict
  container_insights:
    description: CloudWatch Container Insights on the cluster.
    type: bool
    default: true
  log_retention_days:
    description: Retention of the services' log groups (a value CloudWatch Logs accepts).
    type: int
    default: 90
  log_kms_key_arn:
    description: A KMS key for the log groups (its policy must let CloudWatch Logs use it).
    type: str
  deployment_min_healthy_percent:
    description: Minimum healthy percent of a rolling deployment.
    type: int
    default: 100
  deployment_max_percent:
    description: Maximum percent of a rolling deployment.
    type: int
    default: 200
  task_role_policy_statements:
    description: IAM policy statements of the task role (what the application may call). Empty gives the role no permissions.
    type: list
    elements: dict
    default: []
  task_role_policies:
    description:
      - Policy documents of the task role, reconciled (created, updated when the document changes, deleted when
        removed from the list). Each C(name) and C(document) (a mapping or its JSON text); C(managed=true) makes a
        customer managed policy C(/stackops/<role name>-<name>), otherwise an inline policy (not named C(task),
        which is O(task_role_policy_statements)'s). Checked against IAM's limits.
    type: list
    elements: dict
    default: []
    version_added: 0.2.0
    suboptions:
      name: {description: "The policy's name (1-128 of letters, digits and +=,.@_-).", type: str, required: true}
      document: {description: The policy document (Version and Statement)., type: raw, required: true}
      managed: {description: A customer managed policy rather than an inline one., type: bool, default: false}
      description: {description: A managed policy's description., type: str}
  ecr_repositories:
    description: ECR repositories by short name; the AWS name is C(<name>/<short name>).
    type: list
    elements: str
    default: []
  ecr_scan_on_push:
    description: Scan images when they are pushed.
    type: bool
    default: true
  ecr_image_tag_mutability:
    description: Whether a tag can be pushed again.
    type: str
    choices: [MUTABLE, IMMUTABLE]
    default: MUTABLE
  ecr_keep_images:
    description: Images kept per repository by the lifecycle policy (the newest).
    type: int
    default: 30
  ecr_untagged_days:
    description: Untagged images expire after this many days.
    type: int
    default: 7
notes:
  - Services, task definitions, repositories and roles that leave the spec are not deleted.
  - Waiting (O(wait)) waits for the services that changed to be stable, as C(aws ecs wait services-stable) does; a
    deployment the circuit breaker marks FAILED stops the run.
extends_documentation_fragment:
  - stackops.platform.platform
  - stackops.platform.platform.wait
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - stackops.platform.platform.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Seed 000's API on ECS Fargate
  stackops.platform.ecs_platform:
    name: banking-llm-prod
    platform: banking-llm
    environment: prod
    region: us-east-1
    ecr_repositories: [api]
    services:
      - name: api
        image: api:1.4.2
        cpu: 1024
        memory: 2048
        port: 8000
        environment: {LOG_LEVEL: info}
        secrets: {DATABASE_PASSWORD: database_app_password, JWT_SECRET: jwt_secret}
        min_tasks: 2
        max_tasks: 10
        cpu_target: 70
    target_groups: "{{ alb.load_balancer.target_groups }}"
  register: ecs
"""

RETURN = r"""
ecs:
  description: The ECS side of the tier as later tiers and runbooks read it. In check mode, what does not exist yet has null ARNs.
  returned: always
  type: dict
  contains:
    cluster_name: {description: The cluster's name., type: str}
    cluster_arn: {description: The cluster's ARN., type: str}
    services: {description: The services' names., type: list, elements: str}
    task_definitions: {description: The task definition ARN (with revision) each service runs., type: dict}
    log_groups: {description: Log group by service., type: dict}
    execution_role_arn: {description: The task execution role., type: str}
    task_role_arn: {description: The task role., type: str}
    ecr_repositories: {description: Repository URI by short name., type: dict}
changes:
  description: What changed (in check mode, what would change), in order.
  returned: always
  type: list
  elements: str
  sample: ["create ECS cluster banking-llm-prod (FARGATE, FARGATE_SPOT, Container Insights enabled)"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.platform.plugins.module_utils._ecs.reconcile import EcsReconciler
from ansible_collections.stackops.platform.plugins.module_utils._ecs.spec import validate
from ansible_collections.stackops.platform.plugins.module_utils.platform import IDENTITY_ARGUMENT_SPEC
from ansible_collections.stackops.platform.plugins.module_utils.platform import WAIT_ARGUMENT_SPEC
from ansible_collections.stackops.platform.plugins.module_utils.platform import clients as platform_clients
from ansible_collections.stackops.platform.plugins.module_utils.platform import run_reconciler


def argument_spec():
    return dict(
        name=dict(type="str", required=True),
        services=dict(type="list", elements="dict"),
        subnet_ids=dict(type="list", elements="str"),
        security_group_ids=dict(type="list", elements="str"),
        secrets=dict(type="dict", no_log=False),
        secrets_kms_key_arn=dict(type="str", no_log=False),
        target_groups=dict(type="dict", default={}),
        capacity_providers=dict(type="list", elements="str", default=["FARGATE", "FARGATE_SPOT"]),
        capacity_provider_strategy=dict(type="list", elements="dict"),
        container_insights=dict(type="bool", default=True),
        log_retention_days=dict(type="int", default=90),
        log_kms_key_arn=dict(type="str", no_log=False),
        deployment_min_healthy_percent=dict(type="int", default=100),
        deployment_max_percent=dict(type="int", default=200),
        task_role_policy_statements=dict(type="list", elements="dict", default=[]),
        task_role_policies=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                name=dict(type="str", required=True),
                document=dict(type="raw", required=True),
                managed=dict(type="bool", default=False),
                description=dict(type="str"),
            ),
        ),
        ecr_repositories=dict(type="list", elements="str", default=[]),
        ecr_scan_on_push=dict(type="bool", default=True),
        ecr_image_tag_mutability=dict(type="str", choices=["MUTABLE", "IMMUTABLE"], default="MUTABLE"),
        ecr_keep_images=dict(type="int", default=30),
        ecr_untagged_days=dict(type="int", default=7),
        **IDENTITY_ARGUMENT_SPEC,
        **WAIT_ARGUMENT_SPEC,
    )


SERVICES = {
    "sts": "sts",
    "ec2": "ec2",
    "ecs": "ecs",
    "ecr": "ecr",
    "iam": "iam",
    "logs": "logs",
    "kms": "kms",
    "secretsmanager": "secretsmanager",
    "application-autoscaling": "application-autoscaling",
}


def main():
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_reconciler(
        module,
        lambda region: EcsReconciler(module.params, region, platform_clients(module, SERVICES), module.check_mode),
        "ECS",
        "ecs",
        # secret keys are checked once the security tier's secrets are read
        validate=lambda params, _region: validate(params),
    )


if __name__ == "__main__":
    main()
