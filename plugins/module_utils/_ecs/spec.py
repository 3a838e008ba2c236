# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ECS spec: validation, names, and the task definition and service a service entry becomes.

Pure Python, no AWS calls. Shared by the ``ecs_platform`` module (which validates its options before any API
call) and the ``cluster_ecs_spec_errors`` filter (which the ``cluster`` role runs before the modules, so that
messages name the role variables: ``cluster_services[1].cpu``).
"""

from __future__ import annotations

import re

from ..aws_rules import LOG_RETENTION_DAYS
from ..aws_rules import iam_role_name
from ..aws_rules import reserved_tag_errors
from ..iam_policies import validate_policies

# Fargate's task sizes: CPU units -> the memory values (MiB) AWS accepts with them
# (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size).
FARGATE_SIZES = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}
CAPACITY_PROVIDERS = ("FARGATE", "FARGATE_SPOT")
EXECUTION_POLICY_ARN = "arn:{partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
TAG_MUTABILITY = ("MUTABLE", "IMMUTABLE")

# An image reference: [registry[:port]/]repository[:tag][@digest] (the Docker reference grammar, lowercase names).
_IMAGE_RE = re.compile(
    r"^(?:(?P<registry>[a-zA-Z0-9.-]+(?::\d+)?)/)?"
    r"(?P<repository>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
    r"(?:@(?P<digest>sha256:[a-f0-9]{64}))?$"
)
_SERVICE_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")
_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$")
_ENV_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_REPO_RE = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")
_SECRET_ARN_RE = re.compile(r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$")


class Names:
    """Resource names derived from the cluster's name (``<platform>-<environment>``)."""

    def __init__(self, base, region=None):
        self.base = base
        self.cluster = base
        # IAM is global and every region of the environment has its own secrets: one role pair per region.
        suffix = f"-{region}" if region else ""
        self.execution_role = iam_role_name(f"{base}-ecs-execution{suffix}")
        self.task_role = iam_role_name(f"{base}-ecs-task{suffix}")

    def family(self, service):
        return f"{self.base}-{service}"

    def log_group(self, service):
        # Seed 000 names them /aws/ecs/banking-llm/api.
        return f"/aws/ecs/{self.base}/{service}"

    def repository(self, repo):
        return f"{self.base}/{repo}"

    def scaling_policy(self, service, metric="cpu"):
        return f"{self.base}-{service}-{metric}"

    def resource_id(self, service):
        return f"service/{self.base}/{service}"


# The task role's inline policy made from task_role_policy_statements.
TASK_INLINE_POLICY = "task"


def parse_image(image):
    match = _IMAGE_RE.match(str(image or ""))
    return match.groupdict() if match else None


def resolve_image(image, repositories, registry):
    """``api:1.4.2`` becomes ``<registry>/<cluster>/api:1.4.2`` when ``api`` is one of ``repositories``
    ({short name: repository name}); any other reference is used as given."""
    parts = parse_image(image)
    if parts and not parts["registry"] and parts["repository"] in repositories:
        ref = f"{registry}/{repositories[parts['repository']]}"
        if parts["tag"]:
            ref += f":{parts['tag']}"
        if parts["digest"]:
            ref += f"@{parts['digest']}"
        return ref
    return image


def _int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _as_int(value):
    if _int(value):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


# What a service's ``connections`` hand it: environment variables from the JSON keys of the connection secrets the
# security tier creates and the data tiers fill (ECS ``valueFrom`` ``<secret ARN>:<json key>::``).
CONNECTIONS = {
    "database": (
        "database_connection",
        {
            "DATABASE_HOST": "host",
            "DATABASE_PORT": "port",
            "DATABASE_NAME": "dbname",
            "DATABASE_USER": "username",
            "DATABASE_MASTER_SECRET_ARN": "master_secret_arn",
        },
    ),
    "cache": (
        "cache_connection",
        {
            "REDIS_HOST": "host",
            "REDIS_PORT": "port",
            "REDIS_TLS": "tls",
            "REDIS_AUTH_TOKEN_SECRET_ARN": "auth_token_secret_arn",
        },
    ),
}


def secret_key_of(value):
    """The security tier's secret key a ``secrets`` value names (``jwt_secret``, ``database_connection:host``)."""
    return str(value).split(":", 1)[0]


def secret_reference(value, secret_arns):
    """ECS's ``valueFrom`` for a ``secrets`` value: an ARN as given, a key as its ARN, ``key:json_key`` as
    ``<ARN>:<json_key>::`` (one key of a JSON secret)."""
    value = str(value)
    if value.startswith("arn:"):
        return value
    key, _sep, json_key = value.partition(":")
    arn = secret_arns.get(key, key)
    return f"{arn}:{json_key}::" if json_key else arn


def service_defaults(service):
    """A service entry with every default filled in (the module's and the role's view of it)."""
    merged = {
        "cpu": 256,
        "memory": 512,
        "port": None,
        "command": None,
        "environment": {},
        "secrets": {},
        "min_tasks": 2,
        "max_tasks": 10,
        "desired_tasks": None,
        "cpu_target": 70,
        "memory_target": 80,
        "stop_timeout": None,
        "health_check_command": None,
        "health_check_path": "/health",
        "health_check_grace_period": 60,
        "container_health_check": True,
        "spot": False,
        "connections": [],
    }
    merged.update({k: v for k, v in (service or {}).items() if v is not None})
    connections = merged.get("connections") or []
    if isinstance(connections, list) and isinstance(merged["secrets"], dict):
        from_connections = {}
        for connection in connections:
            key, variables = CONNECTIONS.get(connection, (None, {}))
            from_connections.update({env: f"{key}:{json_key}" for env, json_key in variables.items()})
        merged["secrets"] = {**from_connections, **merged["secrets"]}
    return merged


def validate_services(services, var, errors, secret_keys=None, repositories=()):
    """Rules of the services list. ``var(name)`` names a variable; ``secret_keys`` the known secret keys (None: unknown)."""
    name = var("services")
    if not isinstance(services, list):
        errors.append(f"{name}: must be a list of services")
        return
    seen = set()
    for index, raw in enumerate(services):
        where = f"{name}[{index}]"
        if not isinstance(raw, dict):
            errors.append(f"{where}: must be a mapping (name, image, cpu, memory, port, ...)")
            continue
        service = service_defaults(raw)
        label = service.get("name")
        if not label or not _SERVICE_RE.match(str(label)):
            errors.append(
                f"{where}.name: {label!r} must be 2-32 lowercase letters, digits or hyphens, starting with a letter"
            )
        elif label in seen:
            errors.append(f"{where}.name: {label} is defined twice (service names are unique)")
        seen.add(label)
        image = service.get("image")
        if not image:
            errors.append(
                f"{where}.image: an image is needed (repository[:tag] or registry/repository[:tag|@sha256:...])"
            )
        elif not parse_image(image):
            errors.append(
                f"{where}.image: {image!r} is not an image reference (lowercase repository, optional registry, "
                ":tag or @sha256:digest; e.g. api:1.4.2 or public.ecr.aws/nginx/nginx:1.27)"
            )
        cpu, memory = _as_int(service["cpu"]), _as_int(service["memory"])
        if cpu not in FARGATE_SIZES:
            errors.append(
                f"{where}.cpu: {service['cpu']!r} is not a Fargate task size (CPU units: {', '.join(map(str, FARGATE_SIZES))})"
            )
        elif memory not in FARGATE_SIZES[cpu]:
            allowed = FARGATE_SIZES[cpu]
            errors.append(
                f"{where}.memory: Fargate refuses {service['memory']!r} MiB with {cpu} CPU units "
                f"(it takes {allowed[0]}-{allowed[-1]} MiB"
                + (f" in steps of {allowed[1] - allowed[0]}" if len(allowed) > 1 else "")
                + f" with cpu {cpu})"
            )
        port = service.get("port")
        if port is not None and (not _int(port) or not 1 <= port <= 65535):
            errors.append(f"{where}.port: {port!r} is outside 1-65535")
        low, high = service["min_tasks"], service["max_tasks"]
        if not _int(low) or low < 0:
            errors.append(f"{where}.min_tasks: {low!r} must be a whole number, 0 or more")
        if not _int(high) or high < 1:
            errors.append(f"{where}.max_tasks: {high!r} must be a whole number, 1 or more")
        if _int(low) and _int(high) and low > high:
            errors.append(f"{where}.min_tasks: {low} is more than max_tasks {high}")
        desired = service.get("desired_tasks")
        if desired is not None and _int(low) and _int(high) and (not _int(desired) or not low <= desired <= high):
            errors.append(f"{where}.desired_tasks: {desired!r} must be between min_tasks {low} and max_tasks {high}")
        target = service["cpu_target"]
        if isinstance(target, bool) or not isinstance(target, (int, float)) or not 1 <= target <= 100:
            errors.append(f"{where}.cpu_target: {target!r} must be a CPU utilization percentage from 1 to 100")
        memory_target = service["memory_target"]
        if (
            isinstance(memory_target, bool)
            or not isinstance(memory_target, (int, float))
            or not 0 <= memory_target <= 100
        ):
            errors.append(
                f"{where}.memory_target: {memory_target!r} must be a memory utilization percentage from 1 to 100 "
                "(0 turns memory scaling off)"
            )
        stop_timeout = service["stop_timeout"]
        if stop_timeout is not None and (not _int(stop_timeout) or not 2 <= stop_timeout <= 120):
            errors.append(
                f"{where}.stop_timeout: {stop_timeout!r} must be whole seconds from 2 to 120 (Fargate waits at most "
                "120 s between SIGTERM and SIGKILL)"
            )
        grace = service["health_check_grace_period"]
        if not _int(grace) or not 0 <= grace <= 2147483647:
            errors.append(f"{where}.health_check_grace_period: {grace!r} must be seconds, 0 or more")
        path = service["health_check_path"]
        if not isinstance(path, str) or not path.startswith("/"):
            errors.append(f"{where}.health_check_path: {path!r} must be a path starting with /")
        environment = service["environment"]
        if not isinstance(environment, dict):
            errors.append(f"{where}.environment: must be a mapping of variable names to values")
            environment = {}
        for key in environment:
            if not _ENV_RE.match(str(key)):
                errors.append(f"{where}.environment: {key!r} is not an environment variable name")
        connections = service["connections"]
        if not isinstance(connections, list):
            errors.append(f"{where}.connections: must be a list ({', '.join(CONNECTIONS)})")
        else:
            for position, connection in enumerate(connections):
                if connection not in CONNECTIONS:
                    errors.append(
                        f"{where}.connections[{position}]: {connection!r} is not a connection ({', '.join(CONNECTIONS)})"
                    )
        secrets = service["secrets"]
        if not isinstance(secrets, dict):
            errors.append(
                f"{where}.secrets: must be a mapping of variable names to secret keys (JWT_SECRET: jwt_secret)"
            )
            secrets = {}
        for key, value in secrets.items():
            if not _ENV_RE.match(str(key)):
                errors.append(f"{where}.secrets: {key!r} is not an environment variable name")
            if key in environment:
                errors.append(f"{where}.secrets.{key}: also set in environment; a variable comes from one place")
            if _SECRET_ARN_RE.match(str(value)):
                continue
            secret = secret_key_of(value)
            if secret_keys is not None and secret not in secret_keys:
                known = ", ".join(sorted(secret_keys)) or "none"
                errors.append(
                    f"{where}.secrets.{key}: {secret!r} is not a secret of the security tier (security_secrets has: {known})"
                )
        command = service.get("command")
        if command is not None and (not isinstance(command, list) or not all(isinstance(c, str) for c in command)):
            errors.append(f"{where}.command: must be a list of strings")
        check = service.get("health_check_command")
        if check is not None and (not isinstance(check, list) or not check or check[0] not in ("CMD", "CMD-SHELL")):
            errors.append(f"{where}.health_check_command: must be a list starting with CMD or CMD-SHELL")


def validate(spec, var=None, secret_keys=None):
    """Every rule the ECS spec breaks. ``spec`` has the ``ecs_platform`` option names."""
    var = var or (lambda key: key)
    errors = []
    name = spec.get("name")
    if name is not None and not _NAME_RE.match(str(name)):
        errors.append(
            f"{var('name')}: {name!r} must be 2-40 lowercase letters, digits or hyphens, starting with a letter"
        )
    repositories = spec.get("ecr_repositories") or []
    if not isinstance(repositories, list):
        errors.append(f"{var('ecr_repositories')}: must be a list of repository names")
        repositories = []
    for index, repo in enumerate(repositories):
        if not _REPO_RE.match(str(repo)):
            errors.append(
                f"{var('ecr_repositories')}[{index}]: {repo!r} is not a repository name (lowercase, digits, . _ -)"
            )
    if len(set(repositories)) != len(repositories):
        errors.append(f"{var('ecr_repositories')}: a repository is listed twice")
    keep = spec.get("ecr_keep_images", 30)
    if not _int(keep) or not 1 <= keep <= 10000:
        errors.append(f"{var('ecr_keep_images')}: {keep!r} must be 1-10000 (images kept per repository)")
    untagged = spec.get("ecr_untagged_days", 7)
    if not _int(untagged) or untagged < 1:
        errors.append(f"{var('ecr_untagged_days')}: {untagged!r} must be 1 or more days")
    if spec.get("ecr_image_tag_mutability", "MUTABLE") not in TAG_MUTABILITY:
        errors.append(f"{var('ecr_image_tag_mutability')}: must be MUTABLE or IMMUTABLE")
    if spec.get("services") is not None:
        validate_services(spec["services"], var, errors, secret_keys, repositories)
    providers = spec.get("capacity_providers") or list(CAPACITY_PROVIDERS)
    for index, provider in enumerate(providers):
        if provider not in CAPACITY_PROVIDERS:
            errors.append(f"{var('capacity_providers')}[{index}]: {provider!r} is not FARGATE or FARGATE_SPOT")
    strategy = spec.get("capacity_provider_strategy") or []
    bases = 0
    for index, item in enumerate(strategy):
        where = f"{var('capacity_provider_strategy')}[{index}]"
        if not isinstance(item, dict):
            errors.append(f"{where}: must be a mapping (capacity_provider, weight, base)")
            continue
        if item.get("capacity_provider") not in providers:
            errors.append(
                f"{where}.capacity_provider: {item.get('capacity_provider')!r} is not in {var('capacity_providers')}"
            )
        weight = item.get("weight", 1)
        if not _int(weight) or not 0 <= weight <= 1000:
            errors.append(f"{where}.weight: {weight!r} must be 0-1000")
        base = item.get("base", 0)
        if not _int(base) or not 0 <= base <= 100000:
            errors.append(f"{where}.base: {base!r} must be 0-100000")
        elif base:
            bases += 1
    if bases > 1:
        errors.append(f"{var('capacity_provider_strategy')}: only one capacity provider can have a base")
    if strategy and not any(isinstance(i, dict) and i.get("weight", 1) for i in strategy):
        errors.append(f"{var('capacity_provider_strategy')}: at least one capacity provider needs a weight above 0")
    retention = spec.get("log_retention_days", 90)
    if retention not in LOG_RETENTION_DAYS:
        errors.append(
            f"{var('log_retention_days')}: {retention!r} is not a retention CloudWatch Logs accepts "
            f"({', '.join(str(d) for d in LOG_RETENTION_DAYS)})"
        )
    low, high = spec.get("deployment_min_healthy_percent", 100), spec.get("deployment_max_percent", 200)
    if not _int(low) or not 0 <= low <= 100:
        errors.append(f"{var('deployment_min_healthy_percent')}: {low!r} must be 0-100")
    if not _int(high) or not 100 <= high <= 200:
        errors.append(f"{var('deployment_max_percent')}: {high!r} must be 100-200")
    policies = spec.get("task_role_policies")
    validate_policies(policies, var("task_role_policies"), errors)
    for index, policy in enumerate(policies if isinstance(policies, list) else []):
        if isinstance(policy, dict) and policy.get("name") == TASK_INLINE_POLICY and not policy.get("managed"):
            errors.append(
                f"{var('task_role_policies')}[{index}].name: {TASK_INLINE_POLICY!r} is the inline policy of "
                f"{var('task_role_policy_statements')}; give this one another name"
            )
    errors.extend(reserved_tag_errors(spec.get("tags"), var("tags")))
    return errors


# -- what a service becomes ---------------------------------------------------------------------------------------


def container_definition(service, image, log_group, region, secret_arns):
    """The container definition of a service (one essential container named after the service)."""
    port = service.get("port")
    container = {
        "name": service["name"],
        "image": image,
        "essential": True,
        "environment": [{"name": k, "value": str(v)} for k, v in sorted(service["environment"].items())],
        "secrets": [
            {"name": k, "valueFrom": secret_reference(v, secret_arns)} for k, v in sorted(service["secrets"].items())
        ],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {"awslogs-group": log_group, "awslogs-region": region, "awslogs-stream-prefix": service["name"]},
        },
    }
    if port:
        container["portMappings"] = [{"containerPort": port, "protocol": "tcp"}]
    if service.get("command"):
        container["command"] = list(service["command"])
    if service.get("stop_timeout"):
        container["stopTimeout"] = service["stop_timeout"]
    check = service.get("health_check_command")
    if not check and port and service.get("container_health_check", True):
        check = ["CMD-SHELL", f"curl -fsS http://localhost:{port}{service['health_check_path']} || exit 1"]
    if check:
        container["healthCheck"] = {
            "command": list(check),
            "interval": 30,
            "timeout": 5,
            "retries": 3,
            "startPeriod": 60,
        }
    return container


def task_definition(names, service, image, region, secret_arns, execution_role_arn, task_role_arn):
    """RegisterTaskDefinition's parameters (without tags) for one service."""
    return {
        "family": names.family(service["name"]),
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": str(_as_int(service["cpu"])),
        "memory": str(_as_int(service["memory"])),
        "executionRoleArn": execution_role_arn,
        "taskRoleArn": task_role_arn,
        "runtimePlatform": {"operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"},
        "containerDefinitions": [
            container_definition(service, image, names.log_group(service["name"]), region, secret_arns)
        ],
    }


def task_definition_view(definition):
    """The parts of a task definition this collection manages, in one comparable form (registered or desired)."""
    if not definition:
        return None
    containers = []
    for c in definition.get("containerDefinitions") or []:
        check = c.get("healthCheck")
        containers.append(
            {
                "name": c.get("name"),
                "image": c.get("image"),
                "essential": c.get("essential", True),
                "command": list(c.get("command") or []),
                "stop_timeout": c.get("stopTimeout"),
                "ports": sorted(
                    (p.get("containerPort"), p.get("protocol", "tcp")) for p in c.get("portMappings") or []
                ),
                "environment": {e["name"]: e.get("value") for e in c.get("environment") or []},
                "secrets": {s["name"]: s.get("valueFrom") for s in c.get("secrets") or []},
                "log": (c.get("logConfiguration") or {}).get("options") or {},
                "health_check": (
                    {
                        "command": list(check.get("command") or []),
                        "interval": check.get("interval", 30),
                        "timeout": check.get("timeout", 5),
                        "retries": check.get("retries", 3),
                        "start_period": check.get("startPeriod", 0),
                    }
                    if check
                    else None
                ),
            }
        )
    platform = definition.get("runtimePlatform") or {}
    return {
        "cpu": str(definition.get("cpu")),
        "memory": str(definition.get("memory")),
        "network_mode": definition.get("networkMode"),
        "compatibilities": sorted(definition.get("requiresCompatibilities") or []),
        "execution_role": definition.get("executionRoleArn"),
        "task_role": definition.get("taskRoleArn"),
        "platform": [platform.get("operatingSystemFamily", "LINUX"), platform.get("cpuArchitecture", "X86_64")],
        "containers": containers,
    }


def lifecycle_policy(keep_images, untagged_days):
    """Untagged images expire after ``untagged_days``; of the rest, the newest ``keep_images`` stay."""
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"Expire untagged images after {untagged_days} days",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": untagged_days,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"Keep the newest {keep_images} images",
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep_images},
                "action": {"type": "expire"},
            },
        ]
    }


def execution_role_policy(secret_arns, kms_key_arns):
    """The execution role's inline policy: read the services' secrets (and decrypt them)."""
    statements = []
    if secret_arns:
        statements.append(
            {
                "Sid": "ReadServiceSecrets",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": sorted(set(secret_arns)),
            }
        )
    if kms_key_arns:
        statements.append(
            {
                "Sid": "DecryptServiceSecrets",
                "Effect": "Allow",
                "Action": ["kms:Decrypt"],
                "Resource": sorted(set(kms_key_arns)),
            }
        )
    return {"Version": "2012-10-17", "Statement": statements} if statements else None


def assume_role_policy(account, region, partition="aws"):
    """ECS tasks assume the role, only for this account's tasks (the confused-deputy conditions AWS documents)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "ArnLike": {"aws:SourceArn": f"arn:{partition}:ecs:{region}:{account}:*"},
                    "StringEquals": {"aws:SourceAccount": account},
                },
            }
        ],
    }
