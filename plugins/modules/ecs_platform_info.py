#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ecs_platform_info
short_description: Find an environment's ECS cluster, its services, load balancer and ECR repositories
version_added: 0.1.0
description:
  - Reads the ECS side of the cluster tier by its names (C(<name>), C(<name>-alb), C(<name>/...)) with read calls
    only, for C(playbooks/status.yml) and runbooks (deploy, scale, rollback).
  - Each service with its task definition, desired, running and pending counts, and its deployments (rollout state).
author:
  - stackops platform engineers (@stackops)
options:
  name:
    description: The cluster's name; default C(<platform>-<environment>).
    type: str
  platform:
    description: The platform's name.
    type: str
    required: true
  environment:
    description: The environment.
    type: str
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Where the API runs
  stackops.platform.ecs_platform_info:
    platform: banking-llm
    environment: prod
  register: found

- name: Its running count
  ansible.builtin.debug:
    msg: "{{ found.services.api.running }} of {{ found.services.api.desired }}"
"""

RETURN = r"""
exists:
  description: Whether the cluster exists.
  returned: always
  type: bool
cluster:
  description: The cluster (C(name), C(arn), C(status), C(capacity_providers), C(container_insights)), or null.
  returned: always
  type: dict
services:
  description:
    - By service name, C(arn), C(task_definition), C(desired), C(running), C(pending), C(status) and C(deployments)
      (each C(id), C(status), C(task_definition), C(rollout_state), C(running), C(desired)).
  returned: always
  type: dict
load_balancer:
  description: C(name), C(arn), C(dns_name), C(zone_id), C(target_groups) (ARN by service name), or null.
  returned: always
  type: dict
ecr_repositories:
  description: Repository URI by short name.
  returned: always
  type: dict
"""

try:
    from botocore.exceptions import BotoCoreError
    from botocore.exceptions import ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.platform.plugins.module_utils._alb.spec import Names as AlbNames
from ansible_collections.stackops.platform.plugins.module_utils._ecs import state as st
from ansible_collections.stackops.platform.plugins.module_utils.platform import clients as platform_clients


def discover(clients, name):
    cluster = st.read_cluster(clients["ecs"], name)
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
        arns = st.paginate(clients["ecs"], "list_services", "serviceArns", cluster=name)
        services = st.read_services(clients["ecs"], name, [a.rsplit("/", 1)[-1] for a in arns])
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
    answer = st.not_found(lambda: elb.describe_load_balancers(Names=[lb_name], aws_retry=True), "LoadBalancerNotFound")
    if answer and answer.get("LoadBalancers"):
        lb = answer["LoadBalancers"][0]
        groups = st.paginate(elb, "describe_target_groups", "TargetGroups", LoadBalancerArn=lb["LoadBalancerArn"])
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
    for repo in st.paginate(clients["ecr"], "describe_repositories", "repositories"):
        if repo["repositoryName"].startswith(f"{name}/"):
            found["ecr_repositories"][repo["repositoryName"].removeprefix(f"{name}/")] = repo["repositoryUri"]
    return found


def main():
    argument_spec = dict(
        name=dict(type="str"),
        platform=dict(type="str", required=True),
        environment=dict(type="str", required=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    if not module.region:
        module.fail_json(msg="region: no region given (set region, or AWS_REGION in the environment)")
    params = module.params
    name = params["name"] or f"{params['platform']}-{params['environment']}"
    try:
        found = discover(platform_clients(module, {"ecs": "ecs", "elbv2": "elbv2", "ecr": "ecr"}), name)
    except (BotoCoreError, ClientError) as error:
        module.fail_json_aws(error, msg="could not read the ECS cluster")
    module.exit_json(changed=False, **found)


if __name__ == "__main__":
    main()
