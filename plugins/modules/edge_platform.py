#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: edge_platform
short_description: Converge an environment's edge - ACM certificates, a CloudFront front end and Route 53 records
version_added: 0.2.0
description:
  - B(Hosted zone) O(zone), found by name; created when missing and O(create_zone) allows it.
  - B(Certificates) requested from ACM with DNS validation - the front end's (O(frontend_domain) and
    O(frontend_alternative_names)) in us-east-1, where CloudFront takes them, and the API's (O(api_domain)) in the
    region for the load balancer, and in O(dr_region) for the DR region's load balancer - their validation
    CNAMEs written in the zone, then waited for until ISSUED
    (O(wait_timeout)). A certificate is found again by its domain, names and tags; requests carry an idempotency
    token, so a retry after a lost response gets the same certificate.
  - B(Front end) a private bucket C(<platform>-<environment>-frontend) (versioned, SSE-S3, public access blocked,
    readable only by this distribution through an origin access control), a CloudFront distribution with the
    certificate, a TLS 1.2+ security policy, a default root object, single-page-app error responses (403 and 404
    answer the root object with 200), the CLOUDFRONT web ACL, a price class and access logs to
    C(<platform>-<environment>-frontend-logs). An existing distribution is compared field by field with what
    this module owns; only a difference makes an UpdateDistribution, with the ETag GetDistributionConfig gave.
  - B(Records) A and AAAA aliases of the front end's names to the distribution; an A alias of O(api_domain) to the
    load balancer O(api_load_balancer), or, when O(dr_region) has a load balancer of that name, a failover pair
    (PRIMARY with a Route 53 health check on C(https://<primary load balancer><api_health_check_path>),
    SECONDARY to the DR region's load balancer). One change batch, waited for until INSYNC.
  - O(parts) limits a run to some of C(certificates), C(frontend), C(dns) (the load balancer's certificate is
    needed before the cluster tier makes its HTTPS listener).
  - The spec is validated before any API call; every message names the option. Check mode makes no write call.
    Nothing is ever deleted except an API record that the failover pair replaces (or that replaces it).
author:
  - stackops platform engineers (@stackops)
options:
  zone:
    description: The public hosted zone (C(example.com)); every domain must be in it.
    type: str
    required: true
  create_zone:
    description: Create the zone when it does not exist (then delegate it from the registrar).
    type: bool
    default: true
  parts:
    description: What to converge.
    type: list
    elements: str
    default: [certificates, frontend, dns]
  frontend_domain:
    description: The front end's domain (C(app.example.com)); empty for no front end.
    type: str
    default: ""
  frontend_alternative_names:
    description: More names for the front end (C(www.example.com)), on its certificate and aliases.
    type: list
    elements: str
    default: []
  frontend_price_class:
    description: The distribution's price class.
    type: str
    default: PriceClass_100
  frontend_default_root_object:
    description: The object served for C(/) (no leading slash).
    type: str
    default: index.html
  frontend_spa:
    description: Answer O(frontend_spa_error_codes) with the root object and 200 (client-side routing).
    type: bool
    default: true
  frontend_spa_error_codes:
    description: The error codes answered with the root object.
    type: list
    elements: int
    default: [403, 404]
  frontend_minimum_protocol_version:
    description: The viewer TLS security policy (TLS 1.2 or later).
    type: str
    default: TLSv1.2_2021
  frontend_waf_acl_arn:
    description: The CLOUDFRONT web ACL (the security tier's, in us-east-1); empty for none.
    type: str
    default: ""
  frontend_logging:
    description: Standard access logs to C(<platform>-<environment>-frontend-logs) (under C(cloudfront/)).
    type: bool
    default: true
  frontend_log_retention_days:
    description: Days the access logs are kept.
    type: int
    default: 90
  api_domain:
    description: The API's domain (C(api.example.com)), an alias of the load balancer; empty for none.
    type: str
    default: ""
  api_certificate:
    description: Request the API's certificate (in the region, for the load balancer's HTTPS listener).
    type: bool
    default: true
  api_load_balancer:
    description: The load balancer's name in every region. Defaults to C(<platform>-<environment>-alb).
    type: str
  api_health_check_path:
    description: The path the failover health check requests on the primary load balancer.
    type: str
    default: /health
  api_health_check_interval:
    description: Seconds between health checks (10 or 30).
    type: int
    default: 30
  api_health_check_failure_threshold:
    description: Failed checks before the primary counts as unhealthy (1-10).
    type: int
    default: 3
  dr_region:
    description: The DR region; its load balancer becomes the failover record's SECONDARY. Empty for none.
    type: str
    default: ""
  wait_timeout:
    description: Seconds to wait for any one of certificate issue, distribution deployment, record sync.
    type: int
    default: 1800
notes:
  - The zone, certificates, distribution, buckets and health check are tagged with the identity tags and O(tags);
    the buckets' tags are kept equal to them, the others' are set when they are created.
extends_documentation_fragment:
  - stackops.platform.platform
  - stackops.platform.platform.wait
  - stackops.platform.platform.variable_prefix
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Seed 004's front end and API, with the DR region as the failover secondary
  stackops.platform.edge_platform:
    platform: eloquent
    environment: prod
    zone: eloquent.example.com
    frontend_domain: app.eloquent.example.com
    frontend_alternative_names: [www.eloquent.example.com]
    frontend_waf_acl_arn: "{{ security_waf_cloudfront_web_acl_arn }}"
    api_domain: api.eloquent.example.com
    dr_region: us-west-2
  register: edge
"""

RETURN = r"""
edge:
  description: What later tiers and runbooks read (the C(edge) fact).
  returned: always
  type: dict
  contains:
    zone_id: {description: The hosted zone's id., type: str}
    zone_name: {description: The hosted zone's name., type: str}
    certificates: {description: "By role (frontend, api): arn, domain, region, status.", type: dict}
    frontend:
      description: domain, bucket, logs_bucket, distribution_id, distribution_arn, distribution_domain, origin_access_control_id.
      type: dict
    api: {description: "domain, failover (a PRIMARY/SECONDARY pair), health_check_id.", type: dict}
changes:
  description: What changed (in check mode, what would change), in order.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.platform.plugins.module_utils._edge.reconcile import EdgeReconciler
from ansible_collections.stackops.platform.plugins.module_utils._edge.spec import CLOUDFRONT_REGION
from ansible_collections.stackops.platform.plugins.module_utils._edge.spec import PARTS
from ansible_collections.stackops.platform.plugins.module_utils._edge.spec import validate
from ansible_collections.stackops.platform.plugins.module_utils.platform import IDENTITY_ARGUMENT_SPEC
from ansible_collections.stackops.platform.plugins.module_utils.platform import WAIT_ARGUMENT_SPEC
from ansible_collections.stackops.platform.plugins.module_utils.platform import clients
from ansible_collections.stackops.platform.plugins.module_utils.platform import run_reconciler


def argument_spec():
    spec = dict(
        zone=dict(type="str", required=True),
        create_zone=dict(type="bool", default=True),
        parts=dict(type="list", elements="str", default=list(PARTS)),
        frontend_domain=dict(type="str", default=""),
        frontend_alternative_names=dict(type="list", elements="str", default=[]),
        frontend_price_class=dict(type="str", default="PriceClass_100"),
        frontend_default_root_object=dict(type="str", default="index.html"),
        frontend_spa=dict(type="bool", default=True),
        frontend_spa_error_codes=dict(type="list", elements="int", default=[403, 404]),
        frontend_minimum_protocol_version=dict(type="str", default="TLSv1.2_2021"),
        frontend_waf_acl_arn=dict(type="str", default=""),
        frontend_logging=dict(type="bool", default=True),
        frontend_log_retention_days=dict(type="int", default=90),
        api_domain=dict(type="str", default=""),
        api_certificate=dict(type="bool", default=True),
        api_load_balancer=dict(type="str"),
        api_health_check_path=dict(type="str", default="/health"),
        api_health_check_interval=dict(type="int", default=30),
        api_health_check_failure_threshold=dict(type="int", default=3),
        dr_region=dict(type="str", default=""),
        variable_prefix=dict(type="str", default=""),
        **IDENTITY_ARGUMENT_SPEC,
        **WAIT_ARGUMENT_SPEC,
    )
    spec["tags"] = dict(type="dict", aliases=["resource_tags"])
    spec["wait_timeout"] = dict(type="int", default=1800)
    return spec


def main():
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True)

    def make(region):
        dr_region = module.params["dr_region"] or region
        services = {
            "sts": "sts",
            "route53": "route53",
            "acm": "acm",
            "acm_cloudfront": ("acm", CLOUDFRONT_REGION),
            "acm_dr": ("acm", dr_region),
            "cloudfront": ("cloudfront", CLOUDFRONT_REGION),
            "s3": "s3",
            "elbv2": "elbv2",
            "elbv2_dr": ("elbv2", dr_region),
        }
        return EdgeReconciler(module.params, region, clients(module, services), module.check_mode)

    run_reconciler(
        module,
        make,
        "edge",
        "edge",
        validate=lambda params, region: validate(params, region, prefix=params["variable_prefix"]),
    )


if __name__ == "__main__":
    main()
