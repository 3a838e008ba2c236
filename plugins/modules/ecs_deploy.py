#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ecs_deploy
short_description: Deploy, roll back, restart or scale one ECS service, and wait until it is really done
version_added: 0.2.0
description:
  - B(deploy) registers a revision of the service's current task definition with the requested changes (an
    image per container in O(images), or one O(tag) for every container; O(environment); O(secrets)), or none
    when nothing changes, then updates the service and waits until the new PRIMARY deployment is C(COMPLETED),
    the only deployment, and runs the desired count, all on the new revision. C(aws ecs wait services-stable)
    checks only "one deployment, running = desired", which is true before a new deployment has started.
  - A deployment ECS's circuit breaker marks C(FAILED) is a failure, even though ECS rolled the service back;
    so is a O(wait_timeout). With O(rollback_on_failure) the service is returned to the revision it ran before
    and that is waited for too; the module still fails, and says where the service is.
  - Re-running after an interruption (killed after registering, or mid-wait) registers no second revision and
    starts no second deployment - the family's newest revisions are compared by content, and a deployment of
    the target revision already in progress is waited for.
  - B(rollback) returns the service to the revision it ran before its current one (or O(revision)). The
    previous revision is known from tags the module puts on the service before each update
    (C(stackops:deploy-from), C(stackops:deploy-to), C(stackops:deploy-kind)); without them, the newest
    ACTIVE revision older than the current one. A second rollback is a no-op, not a flip back.
  - B(restart) starts a new deployment of the same revision (new tasks; seed 004's "force deploy").
  - B(scale) sets the desired count and the Application Auto Scaling bounds (O(min_capacity), O(max_capacity))
    in one call path, refusing a count outside the bounds.
  - B(status) only reads.
  - No task definition is ever deregistered. Check mode makes no write call and shows the task definition's
    images, environment and secret names before and after (C(--diff)).
author:
  - stackops platform engineers (@stackops)
options:
  cluster:
    description: The ECS cluster's name.
    type: str
    required: true
  service:
    description: The service's name.
    type: str
    required: true
  action:
    description: What to do.
    type: str
    choices: [deploy, rollback, restart, scale, status]
    default: deploy
  images:
    description: For O(action=deploy), the new image of each container, by container name.
    type: dict
  tag:
    description: For O(action=deploy), one image tag for every container (the repository is kept, a digest dropped).
    type: str
  environment:
    description: For O(action=deploy), environment variables to set (or change) on O(container).
    type: dict
  secrets:
    description: For O(action=deploy), secrets to set on O(container), variable name to a Secrets Manager or SSM ARN.
    type: dict
  container:
    description:
      - The container O(environment) and O(secrets) are for. Default the container named like the service, or
        the only container.
    type: str
  force_new_deployment:
    description: For O(action=deploy), start a deployment even when the revision does not change.
    type: bool
    default: false
  revision:
    description: For O(action=rollback), the revision number of the service's family to go to (default the previous one).
    type: int
  rollback_on_failure:
    description: For O(action=deploy) and O(action=restart), return to the previous revision when the deployment fails or times out.
    type: bool
    default: true
    aliases: [rollback]
  desired_count:
    description: For O(action=scale), the number of tasks.
    type: int
  min_capacity:
    description: For O(action=scale), the auto scaling minimum.
    type: int
  max_capacity:
    description: For O(action=scale), the auto scaling maximum.
    type: int
extends_documentation_fragment:
  - stackops.platform.platform.wait
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - The cluster tier (M(stackops.platform.ecs_platform)) converges services to the image in the inventory; after a
    deploy, change C(cluster_services[].image) there too, or the next converge deploys the inventory's image again.
"""

EXAMPLES = r"""
- name: Deploy api 1.4.3 (every container of the service gets the tag)
  stackops.platform.ecs_deploy:
    cluster: banking-llm-prod
    service: api
    tag: 1.4.3
    wait_timeout: 900

- name: Deploy one container's image and a changed environment variable
  stackops.platform.ecs_deploy:
    cluster: banking-llm-prod
    service: api
    images:
      api: 123456789012.dkr.ecr.us-east-1.amazonaws.com/banking-llm-prod/api:1.4.3
    environment:
      LOG_LEVEL: debug

- name: Roll back to the previous revision
  stackops.platform.ecs_deploy:
    cluster: banking-llm-prod
    service: api
    action: rollback

- name: Scale to 6 tasks, autoscaling between 4 and 12
  stackops.platform.ecs_deploy:
    cluster: banking-llm-prod
    service: api
    action: scale
    desired_count: 6
    min_capacity: 4
    max_capacity: 12
"""

RETURN = r"""
ecs_service:
  description: The service after the procedure.
  returned: always
  type: dict
  contains:
    cluster:
      description: The cluster's name.
      type: str
    service:
      description: The service's name.
      type: str
    action:
      description: The action done.
      type: str
    previous:
      description: The revision the service ran at the start (task_definition C(family:N), revision, arn, images by container).
      type: dict
    current:
      description: The revision the service runs at the end (or would, in check mode).
      type: dict
    previous_revision:
      description: The revision the service ran before the one it ran at the start (C(family:N)), if known.
      type: str
    registered:
      description: Whether a task definition revision was registered.
      type: bool
    desired_count:
      description: The service's desired count.
      type: int
    running_count:
      description: Its running tasks.
      type: int
    deployment:
      description: The PRIMARY deployment (id, rollout_state, task_definition, running_count, failed_tasks).
      type: dict
    deployments:
      description: Every deployment of the service.
      type: list
      elements: dict
    events:
      description: The service's events since the module started, oldest first (at, message).
      type: list
      elements: dict
    autoscaling:
      description: For O(action=scale) and O(action=status), the auto scaling bounds (min, max; null without a scalable target).
      type: dict
  sample:
    cluster: demo-local
    service: api
    action: deploy
    previous: {task_definition: demo-local-api:1, revision: 1, images: {api: "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo-local/api:1.0.0"}}
    current: {task_definition: demo-local-api:2, revision: 2, images: {api: "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo-local/api:1.1.0"}}
    registered: true
    deployment: {id: ecs-svc/123, rollout_state: COMPLETED, task_definition: demo-local-api:2, running_count: 2}
changes:
  description: What changed (or would change, in check mode), in order.
  returned: always
  type: list
  elements: str
phases:
  description: The procedure's timeline (phase, start, end, duration_s, outcome).
  returned: always
  type: list
  elements: dict
duration_s:
  description: How long the procedure took, in seconds.
  returned: always
  type: float
rolled_back_to:
  description: On a failed deploy with O(rollback_on_failure), the revision the service was returned to.
  returned: failure
  type: str
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.platform.plugins.module_utils._ecs.rollout import EcsServiceProcedure
from ansible_collections.stackops.platform.plugins.module_utils.platform import WAIT_ARGUMENT_SPEC
from ansible_collections.stackops.platform.plugins.module_utils.platform import clients
from ansible_collections.stackops.platform.plugins.module_utils.platform import run_reconciler


def argument_spec():
    return dict(
        cluster=dict(type="str", required=True),
        service=dict(type="str", required=True),
        action=dict(type="str", choices=["deploy", "rollback", "restart", "scale", "status"], default="deploy"),
        images=dict(type="dict"),
        tag=dict(type="str"),
        environment=dict(type="dict"),
        secrets=dict(type="dict", no_log=False),
        container=dict(type="str"),
        force_new_deployment=dict(type="bool", default=False),
        revision=dict(type="int"),
        rollback_on_failure=dict(type="bool", default=True, aliases=["rollback"]),
        desired_count=dict(type="int"),
        min_capacity=dict(type="int"),
        max_capacity=dict(type="int"),
        **WAIT_ARGUMENT_SPEC,
    )


def validate(params, region):
    errors = []
    action = params["action"]
    if params.get("images") and params.get("tag"):
        errors.append("images, tag: give one or the other")
    if action != "deploy":
        for name in ("images", "tag", "environment", "secrets"):
            if params.get(name):
                errors.append(f"{name}: only for action=deploy")
    for name, image in (params.get("images") or {}).items():
        if not isinstance(image, str) or not image.strip() or " " in image:
            errors.append(f"images.{name}: {image!r} is not an image reference")
    if params.get("tag") is not None and not _TAG.match(params["tag"]):
        errors.append(
            f"tag: {params['tag']!r} is not a Docker tag (letters, digits, _ . -, at most 128, not starting with . or -)"
        )
    if action == "scale" and all(params.get(k) is None for k in ("desired_count", "min_capacity", "max_capacity")):
        errors.append("desired_count: action=scale needs desired_count, min_capacity or max_capacity")
    for name in ("desired_count", "min_capacity", "max_capacity"):
        if params.get(name) is not None and params[name] < 0:
            errors.append(f"{name}: must be 0 or more, got {params[name]}")
    if params.get("revision") is not None and params["revision"] < 1:
        errors.append(f"revision: must be 1 or more, got {params['revision']}")
    if params.get("wait_timeout") is not None and params["wait_timeout"] < 1:
        errors.append(f"wait_timeout: must be at least 1 second, got {params['wait_timeout']}")
    return errors


_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


def main():
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True)

    def make(region):
        services = {"ecs": "ecs"}
        if module.params["action"] in ("scale", "status"):
            services["application-autoscaling"] = "application-autoscaling"
        return EcsServiceProcedure(module.params, clients(module, services), module.check_mode)

    run_reconciler(
        module,
        make,
        f"ECS {module.params['action']} of {module.params['service']}",
        "ecs_service",
        validate=validate,
        action=lambda procedure: procedure.run(),
    )


if __name__ == "__main__":
    main()
