#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: vpc_network
short_description: Converge a whole network tier (VPC, subnets, gateways, routes, endpoints, flow logs) in one run
version_added: 0.1.0
description:
  - Reconciles the network of one environment in one region with one batched read per resource type,
    a VPC with DNS support and hostnames; public, private and database subnets per availability zone;
    an internet gateway; NAT gateways (none, one, or one per AZ) with Elastic IPs; route tables per tier
    and AZ; an S3 gateway endpoint (always) and the interface or gateway endpoints listed; VPC flow logs
    to CloudWatch Logs with their IAM role and log group; and the RDS and ElastiCache subnet groups over
    the database subnets.
  - Resources are found by the tags C(stackops:platform), C(stackops:environment) and
    C(stackops:component=network), never by a local state file.
  - The spec is validated before any API call; errors name the option and the rule.
  - Check mode makes no write call and lists what would change; C(--diff) shows the network before and
    after in symbolic form (tier/AZ names rather than IDs).
  - Creates that AWS makes idempotent with a client token (NAT gateways, route tables, endpoints, flow
    logs) send one, so a retry after a lost response cannot create a second resource.
author:
  - stackops platform engineers (@stackops)
options:
  name:
    description:
      - Base name of every resource, conventionally C(<platform>-<environment>).
    type: str
    required: true
  state:
    description:
      - C(present) converges the network to the spec.
      - C(absent) deletes every resource of the network (found by its tags), dependents first and the VPC
        last. It stops before any write when the VPC still holds resources this module did not make, such as
        another tier's security groups.
    type: str
    default: present
    choices: [present, absent]
  cidr:
    description: The VPC's IPv4 CIDR block, C(/16) to C(/28). Required when O(state=present).
    type: str
  azs:
    description: Availability zones of the network, in the module's region. Required when O(state=present).
    type: list
    elements: str
  subnets:
    description:
      - The subnet plan. The P(stackops.platform.subnet_plan#filter) filter derives one from the VPC CIDR.
      - A subnet's CIDR identifies it; a subnet cannot change AZ.
      - Required when O(state=present).
    type: list
    elements: dict
    suboptions:
      tier:
        description: C(public) (internet gateway), C(private) (NAT) or C(database) (no internet route by default).
        type: str
        required: true
        choices: [public, private, database]
      az:
        description: The subnet's availability zone; one of O(azs).
        type: str
        required: true
      cidr:
        description: The subnet's CIDR block, inside O(cidr) and overlapping no other subnet.
        type: str
        required: true
  nat_mode:
    description:
      - C(one_per_az) puts a NAT gateway in each AZ's public subnet and routes each AZ through its own.
      - C(single) puts one NAT gateway in the first AZ and routes every AZ through it.
      - C(none) gives private subnets no internet route.
    type: str
    default: one_per_az
    choices: [none, single, one_per_az]
  database_internet_access:
    description: Give the database tier a default route through NAT. Off by default.
    type: bool
    default: false
  endpoints:
    description:
      - VPC endpoints besides the S3 gateway endpoint, which is always created, by service short name
        (C(ecr.api), C(ecr.dkr), C(logs), C(secretsmanager), C(sts), ...). C(s3) and C(dynamodb) are gateway
        endpoints on every route table; the others are interface endpoints in the private subnets with
        private DNS, behind a security group that admits HTTPS from the VPC only.
    type: list
    elements: str
    default: []
  flow_logs:
    description: Send VPC flow logs to CloudWatch Logs (log group C(/aws/vpc/<name>/flow-logs)).
    type: bool
    default: true
  flow_logs_traffic_type:
    description: Which traffic flow logs capture.
    type: str
    default: ALL
    choices: [ALL, ACCEPT, REJECT]
  flow_logs_retention_days:
    description: Retention of the flow log group; one of the periods CloudWatch Logs accepts.
    type: int
    default: 90
  flow_logs_max_aggregation_interval:
    description: Flow log aggregation interval in seconds.
    type: int
    default: 600
    choices: [60, 600]
  flow_logs_kms_key_arn:
    description: KMS key that encrypts the flow log group.
    type: str
  db_subnet_group:
    description: Keep an RDS DB subnet group named O(name) over the database subnets.
    type: bool
    default: true
  cache_subnet_group:
    description: Keep an ElastiCache subnet group named O(name) over the database subnets.
    type: bool
    default: true
  purge_subnets:
    description:
      - Delete subnets that carry this network's tags but are not in O(subnets). Off by default, such
        subnets are reported as warnings.
    type: bool
    default: false
notes:
  - Tags that other systems add (C(aws:*), C(kubernetes.io/cluster/*), C(karpenter.sh/*)) are never purged.
  - Public subnets carry C(kubernetes.io/role/elb=1) and private ones C(kubernetes.io/role/internal-elb=1)
    so the AWS Load Balancer Controller finds them.
  - NAT gateways are always waited for (routes need them), within O(wait_timeout).
extends_documentation_fragment:
  - stackops.platform.platform
  - stackops.platform.platform.wait
  - stackops.platform.platform.variable_prefix
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - stackops.platform.platform.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Converge the prod network (seed 001's plan)
  stackops.platform.vpc_network:
    name: moneytrack-prod
    platform: moneytrack
    environment: prod
    region: us-east-1
    cidr: 10.2.0.0/16
    azs: [us-east-1a, us-east-1b, us-east-1c]
    subnets: "{{ '10.2.0.0/16' | stackops.platform.subnet_plan(['us-east-1a', 'us-east-1b', 'us-east-1c']) }}"
    nat_mode: one_per_az
    endpoints: [ecr.api, ecr.dkr, logs, secretsmanager, sts]
    flow_logs_retention_days: 90
    tags:
      CostCenter: platform
  register: network

- name: Later tiers take IDs from the result
  ansible.builtin.debug:
    msg: "{{ network.network.subnet_ids.private }}"

- name: Tear the dev network down (after the tiers that use it)
  stackops.platform.vpc_network:
    name: moneytrack-dev
    platform: moneytrack
    environment: dev
    region: us-east-1
    state: absent
"""

RETURN = r"""
network:
  description: The network as it is after the run (in check mode, as it was; IDs of resources not yet created are absent).
  returned: always
  type: dict
  contains:
    name:
      description: Base name.
      type: str
      sample: moneytrack-prod
    region:
      description: Region.
      type: str
      sample: us-east-1
    vpc_id:
      description: VPC id.
      type: str
      sample: vpc-0a1b2c3d
    cidr:
      description: VPC CIDR.
      type: str
      sample: 10.2.0.0/16
    azs:
      description: AZs that have subnets.
      type: list
      elements: str
      sample: [us-east-1a, us-east-1b, us-east-1c]
    az_ids:
      description: AZ name to zone id.
      type: dict
      sample: {us-east-1a: use1-az1}
    subnets:
      description: Subnets by tier, then AZ, with id and cidr.
      type: dict
      sample: {private: {us-east-1a: {id: subnet-0a1b, cidr: 10.2.10.0/24}}}
    subnet_ids:
      description: Subnet ids by tier.
      type: dict
      sample: {database: [subnet-1, subnet-2]}
    internet_gateway_id:
      description: Internet gateway id.
      type: str
      sample: igw-0a1b
    nat_gateways:
      description: NAT gateways by AZ, each with its id, public IP and state.
      type: dict
      sample: {us-east-1a: {id: nat-0a1b, public_ip: 203.0.113.10, state: available}}
    route_tables:
      description: Route table ids. C(public) is one id; C(private) and C(database) map each AZ to an id.
      type: dict
      sample: {public: rtb-1, private: {us-east-1a: rtb-2}}
    endpoints:
      description: VPC endpoint ids by service short name.
      type: dict
      sample: {s3: vpce-0a1b}
    endpoint_security_group_id:
      description: Security group of the interface endpoints.
      type: str
      sample: sg-0a1b
    flow_log:
      description: The flow log, with its id, log group, role ARN and traffic type.
      type: dict
      sample: {id: fl-0a1b, log_group: /aws/vpc/moneytrack-prod/flow-logs, role_arn: "arn:aws:iam::123456789012:role/x", traffic_type: ALL}
    db_subnet_group:
      description: Name of the RDS DB subnet group.
      type: str
      sample: moneytrack-prod
    cache_subnet_group:
      description: Name of the ElastiCache subnet group.
      type: str
      sample: moneytrack-prod
changes:
  description: What changed (in check mode, what would change), in order.
  returned: always
  type: list
  elements: str
  sample: ["create VPC moneytrack-prod 10.2.0.0/16", "create subnet public/us-east-1a 10.2.1.0/24"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.platform.plugins.module_utils._network.reconcile import NetworkReconciler
from ansible_collections.stackops.platform.plugins.module_utils._network.spec import validate
from ansible_collections.stackops.platform.plugins.module_utils.platform import IDENTITY_ARGUMENT_SPEC
from ansible_collections.stackops.platform.plugins.module_utils.platform import WAIT_ARGUMENT_SPEC
from ansible_collections.stackops.platform.plugins.module_utils.platform import clients
from ansible_collections.stackops.platform.plugins.module_utils.platform import run_reconciler

SERVICES = ("ec2", "logs", "iam", "rds", "elasticache")


def converge(reconciler):
    if reconciler.absent:
        reconciler.teardown()
    else:
        reconciler.converge()


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        cidr=dict(type="str"),
        azs=dict(type="list", elements="str"),
        subnets=dict(
            type="list",
            elements="dict",
            options=dict(
                tier=dict(type="str", required=True, choices=["public", "private", "database"]),
                az=dict(type="str", required=True),
                cidr=dict(type="str", required=True),
            ),
        ),
        nat_mode=dict(type="str", default="one_per_az", choices=["none", "single", "one_per_az"]),
        database_internet_access=dict(type="bool", default=False),
        endpoints=dict(type="list", elements="str", default=[]),
        flow_logs=dict(type="bool", default=True),
        flow_logs_traffic_type=dict(type="str", default="ALL", choices=["ALL", "ACCEPT", "REJECT"]),
        flow_logs_retention_days=dict(type="int", default=90),
        flow_logs_max_aggregation_interval=dict(type="int", default=600, choices=[60, 600]),
        flow_logs_kms_key_arn=dict(type="str", no_log=False),
        db_subnet_group=dict(type="bool", default=True),
        cache_subnet_group=dict(type="bool", default=True),
        purge_subnets=dict(type="bool", default=False),
        variable_prefix=dict(type="str", default=""),
        **IDENTITY_ARGUMENT_SPEC,
        **WAIT_ARGUMENT_SPEC,
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_if=[("state", "present", ("cidr", "azs", "subnets"))],
        supports_check_mode=True,
    )
    run_reconciler(
        module,
        lambda region: NetworkReconciler(
            module.params, region, clients(module, {s: s for s in SERVICES}), module.check_mode
        ),
        "network",
        "network",
        validate=lambda params, region: (
            validate(params, region, protected=False, prefix=params["variable_prefix"])
            if params["state"] == "present"
            else []
        ),
        action=converge,
    )


if __name__ == "__main__":
    main()
