#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: alb_platform
short_description: Converge an internet-facing Application Load Balancer with its target groups, listeners, rules, WAF and access logs
version_added: 0.1.0
description:
  - Reconciles the load balancer of one environment in one region in one run.
  - B(Access logs) to an S3 bucket (C(<name>-alb-logs-<account>-<region>) by default) with public access blocked, SSE-S3
    (the only encryption access logs support), a lifecycle expiry, and the bucket policy that lets Elastic
    Load Balancing deliver logs (the region's ELB account, or the log delivery service principal in newer regions).
  - B(The load balancer) C(<name>-alb), internet-facing in the public subnets with the security tier's C(alb)
    group; invalid header fields dropped; idle timeout and deletion protection as given.
  - B(Target groups) C(<name>-<service>) with C(ip) targets (Fargate tasks) and the seeds' health check
    (C(/health), 30 s interval, 5 s timeout, 2 healthy, 3 unhealthy) unless a target says otherwise.
  - B(Listeners) HTTPS 443 with the ACM certificate and a TLS 1.3 policy (default
    C(ELBSecurityPolicy-TLS13-1-2-2021-06)), forwarding to O(default_service) or answering 404, and HTTP 80
    redirecting to HTTPS (301).
  - B(Rules) on the HTTPS listener by host and path, each forwarding to a service's target group; rules of the
    listener that are not in the spec are deleted.
  - B(WAF) the security tier's REGIONAL web ACL (C(<platform>-<environment>-waf), or O(waf_web_acl_arn)) associated.
  - The certificate is O(certificate_arn), or the ISSUED ACM certificate for O(certificate_domain).
  - Check mode makes no write call and lists what would change; C(--diff) shows the listeners (certificate,
    TLS policy, default action), rules, target groups and attributes before and after.
author:
  - stackops platform engineers (@stackops)
options:
  name:
    description: Base name, conventionally C(<platform>-<environment>); the load balancer is C(<name>-alb).
    type: str
    required: true
  subnet_ids:
    description: Public subnets (at least two AZs). By default the network tier's public subnets, found by their tags.
    type: list
    elements: str
  vpc_id:
    description: The VPC of the target groups; by default the subnets' VPC.
    type: str
  security_group_ids:
    description: The load balancer's security group. By default the security tier's C(alb) group, found by its tags.
    type: list
    elements: str
  certificate_arn:
    description: The HTTPS listener's ACM certificate.
    type: str
  certificate_domain:
    description: Use the ISSUED ACM certificate of this domain (its domain name or a subject alternative name) when O(certificate_arn) is not given.
    type: str
  ssl_policy:
    description: The HTTPS listener's security policy (TLS 1.2 and newer policies only).
    type: str
    default: ELBSecurityPolicy-TLS13-1-2-2021-06
  target_groups:
    description:
      - One target group per service behind the load balancer, dicts with C(service) and C(port), and optionally
        C(health_check_path), C(health_check_interval), C(health_check_timeout), C(healthy_threshold),
        C(unhealthy_threshold), C(health_check_matcher).
    type: list
    elements: dict
    default: []
  default_service:
    description: The service the HTTPS listener forwards to when no rule matches; none answers 404.
    type: str
  rules:
    description: Host and path rules, dicts with C(service), C(hosts), C(paths) and C(priority) (default 10, 20, ... in list order).
    type: list
    elements: dict
    default: []
  idle_timeout:
    description: Idle timeout in seconds.
    type: int
    default: 60
  deletion_protection:
    description: Deletion protection.
    type: bool
    default: false
  access_logs:
    description: Write access logs to S3.
    type: bool
    default: true
  access_logs_bucket:
    description: The bucket; by default C(<name>-alb-logs-<account id>-<region>), created and kept by this module.
    type: str
  access_logs_prefix:
    description: Key prefix of the access logs.
    type: str
    default: alb
  access_logs_days:
    description: Access logs expire after this many days (seed 000 keeps access logs one year).
    type: int
    default: 365
  waf:
    description: Associate the security tier's WAF web ACL.
    type: bool
    default: true
  waf_web_acl_arn:
    description: The web ACL; by default the security tier's C(<platform>-<environment>-waf).
    type: str
notes:
  - Target groups that leave the spec are not deleted. A target group's port cannot change in place; the module says so.
extends_documentation_fragment:
  - stackops.platform.platform
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - stackops.platform.platform.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Seed 000's load balancer
  stackops.platform.alb_platform:
    name: banking-llm-prod
    platform: banking-llm
    environment: prod
    region: us-east-1
    certificate_domain: api.banking-llm.com
    target_groups:
      - {service: api, port: 8000}
      - {service: docs, port: 8080, health_check_path: /healthz}
    default_service: api
    rules:
      - {service: docs, hosts: [docs.banking-llm.com]}
      - {service: api, paths: [/v1/*]}
  register: alb
"""

RETURN = r"""
load_balancer:
  description: The load balancer as later tiers read it. In check mode, what does not exist yet has null ARNs.
  returned: always
  type: dict
  contains:
    name: {description: The load balancer's name., type: str}
    arn: {description: Its ARN., type: str}
    dns_name: {description: Its DNS name (for Route 53 aliases)., type: str}
    zone_id: {description: Its canonical hosted zone (for Route 53 aliases)., type: str}
    target_groups: {description: Target group ARN by service., type: dict}
    listeners: {description: Listener ARN by port., type: dict}
    certificate_arn: {description: The HTTPS listener's certificate., type: str}
    access_logs_bucket: {description: The access log bucket., type: str}
    waf_web_acl_arn: {description: The associated web ACL., type: str}
changes:
  description: What changed (in check mode, what would change), in order.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.platform.plugins.module_utils._alb.reconcile import AlbReconciler
from ansible_collections.stackops.platform.plugins.module_utils._alb.spec import DEFAULT_SSL_POLICY
from ansible_collections.stackops.platform.plugins.module_utils._alb.spec import validate
from ansible_collections.stackops.platform.plugins.module_utils.platform import IDENTITY_ARGUMENT_SPEC
from ansible_collections.stackops.platform.plugins.module_utils.platform import clients as platform_clients
from ansible_collections.stackops.platform.plugins.module_utils.platform import run_reconciler


def argument_spec():
    return dict(
        name=dict(type="str", required=True),
        subnet_ids=dict(type="list", elements="str"),
        vpc_id=dict(type="str"),
        security_group_ids=dict(type="list", elements="str"),
        certificate_arn=dict(type="str"),
        certificate_domain=dict(type="str"),
        ssl_policy=dict(type="str", default=DEFAULT_SSL_POLICY),
        target_groups=dict(type="list", elements="dict", default=[]),
        default_service=dict(type="str"),
        rules=dict(type="list", elements="dict", default=[]),
        idle_timeout=dict(type="int", default=60),
        deletion_protection=dict(type="bool", default=False),
        access_logs=dict(type="bool", default=True),
        access_logs_bucket=dict(type="str"),
        access_logs_prefix=dict(type="str", default="alb"),
        access_logs_days=dict(type="int", default=365),
        waf=dict(type="bool", default=True),
        waf_web_acl_arn=dict(type="str"),
        **IDENTITY_ARGUMENT_SPEC,
    )


def main():
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True)
    services = {name: name for name in ("sts", "ec2", "elbv2", "acm", "wafv2", "s3")}
    run_reconciler(
        module,
        lambda region: AlbReconciler(module.params, region, platform_clients(module, services), module.check_mode),
        "load balancer",
        "load_balancer",
        validate=lambda params, _region: validate(params),
    )


if __name__ == "__main__":
    main()
