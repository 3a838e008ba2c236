#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: monitoring_platform
short_description: Converge an environment's alarms, alert topics, log groups and dashboard in one run
version_added: 0.2.0
description:
  - Converges the monitoring of one regional deployment - SNS topics for C(critical) and C(warning) alerts
    (C(<name>-critical), C(<name>-warning)), encrypted with a KMS key, and their subscriptions (email, HTTPS, ...);
    log groups with retention, KMS and metric filters; CloudWatch metric alarms derived from the tiers the
    inventory has (O(targets)) with the seeds' thresholds as defaults, each overridable or removable with
    O(alarms); billing alarms (in us-east-1, where AWS publishes billing metrics); a dashboard with the sections
    API performance, infrastructure, database and cache.
  - Alarms are named C(<name>-alarm-<key>[-<resource>]). They are read with one paged DescribeAlarms by that
    prefix; only alarms that differ are written; alarms of the prefix that left the spec are deleted.
  - Subscriptions pending confirmation are reported as warnings and in RV(monitoring.subscriptions), never
    created again. An unchanged dashboard is not written.
  - The spec is validated before any API call; every message names the option. Check mode makes no write call.
author:
  - stackops platform engineers (@stackops)
options:
  name:
    description: Base name of the topics, alarms and dashboard, usually C(<platform>-<environment>).
    type: str
    required: true
  kms_key_id:
    description: KMS key (ARN or alias) encrypting the topics. Its key policy must let C(cloudwatch.amazonaws.com) use it.
    type: str
  log_kms_key_id:
    description: KMS key ARN encrypting the log groups that name none themselves.
    type: str
  topics:
    description: Alert topics; one named C(critical) and one named C(warning) are required.
    type: list
    elements: dict
    default: [{name: critical}, {name: warning}]
    suboptions:
      name: {description: The topic's short name (C(<name>-<short name>) in SNS)., type: str, required: true}
      subscriptions:
        description: Endpoints notified, each C(protocol) (email, email-json, https, http, sms, sqs, lambda) and C(endpoint).
        type: list
        elements: dict
        default: []
  log_groups:
    description:
      - Log groups the other tiers do not own, each with C(name), C(retention_days), optional C(kms_key_id) and
        C(metric_filters) (C(name), C(pattern), C(metric_name), optional C(metric_namespace), C(metric_value),
        C(alarm) - the alarm's settings, which makes an alarm C(logs_<name>) on the metric).
      - Log groups are never deleted; metric filters named C(<name>-*) that left the spec are.
    type: list
    elements: dict
    default: []
  metric_namespace:
    description: Namespace of the metric filters' metrics. Defaults to C(<platform>/<environment>).
    type: str
  tiers:
    description: The tiers the inventory has (C(alb), C(ecs), C(eks), C(database), C(cache), C(search), C(billing), C(logs)); alarms exist only for these.
    type: list
    elements: str
    default: []
  targets:
    description:
      - What the earlier tiers made, by tier - C(alb) (C(load_balancer) ARN suffix, C(target_groups) by service),
        C(ecs) (C(cluster), C(services) by name with C(min_tasks)), C(eks) (C(cluster)), C(database) (C(instances)
        by identifier with C(role), C(instance_class), C(allocated_storage), C(max_connections)), C(cache)
        (C(replication_group), C(nodes) by id with C(role)), C(search) (C(domain), C(volume_size)).
    type: dict
    default: {}
  alarms:
    description:
      - Overrides by alarm key (C(alb_5xx_rate), C(rds_connections), C(billing_3000), C(logs_errors), ...) -
        C(false) removes the alarm; a dict changes C(threshold), C(period), C(evaluation_periods),
        C(datapoints_to_alarm), C(severity), C(comparison), C(treat_missing_data).
    type: dict
    default: {}
  billing_thresholds:
    description: Monthly estimated-charges amounts, one alarm each (the highest is critical). Created in us-east-1.
    type: list
    elements: float
    default: []
  billing_currency:
    description: Currency of O(billing_thresholds).
    type: str
    default: USD
  dashboard:
    description: Keep the environment's dashboard.
    type: bool
    default: true
  dashboard_name:
    description: Its name (dashboards are global to the account). Defaults to C(<name>-<region>).
    type: str
notes:
  - Alarms are tagged when created; tags of existing alarms are left as they are (reading them costs a call per alarm).
extends_documentation_fragment:
  - stackops.platform.platform
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Seed 001's prod monitoring
  stackops.platform.monitoring_platform:
    name: moneytrack-prod
    platform: moneytrack
    environment: prod
    kms_key_id: "{{ security_kms_keys.logs.arn }}"
    topics:
      - name: critical
        subscriptions: [{protocol: https, endpoint: "https://events.pagerduty.com/integration/abc/enqueue"}]
      - name: warning
        subscriptions: [{protocol: email, endpoint: oncall@example.com}]
    tiers: [alb, ecs, database, billing]
    targets:
      alb: {load_balancer: app/moneytrack-prod-alb/0123456789abcdef, target_groups: {api: targetgroup/api/0123}}
      ecs: {cluster: moneytrack-prod, services: {api: {min_tasks: 3}}}
      database: {instances: {moneytrack-prod-db: {role: primary, instance_class: db.r6g.xlarge, allocated_storage: 500, max_connections: 500}}}
    alarms:
      ecs_cpu: {threshold: 60}
      rds_free_storage: false
    billing_thresholds: [2000, 2500, 3000]
  register: monitoring
"""

RETURN = r"""
monitoring:
  description: What the tier made (the C(monitoring) fact).
  returned: always
  type: dict
  contains:
    topics: {description: Topic ARN by short name (null in check mode before creation)., type: dict}
    subscriptions: {description: "Each subscription: topic, protocol, endpoint, status (confirmed or pending).", type: list, elements: dict}
    log_groups: {description: The log groups' names., type: list, elements: str}
    alarms: {description: Names of the alarms in the module's region., type: list, elements: str}
    billing_alarms: {description: Names of the billing alarms., type: list, elements: str}
    billing_region: {description: Where the billing alarms live (us-east-1)., type: str}
    alarm_count: {description: How many alarms the spec has., type: int}
    alarms_by_severity: {description: Alarm count by severity., type: dict}
    dashboard: {description: The dashboard's name., type: str}
changes:
  description: What changed (in check mode, what would change), in order.
  returned: always
  type: list
  elements: str
  sample: ["create SNS topic demo-local-critical (encrypted)", "create alarm demo-local-alarm-rds-cpu-demo-local-db: ..."]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.platform.plugins.module_utils._monitoring.reconcile import MonitoringReconciler
from ansible_collections.stackops.platform.plugins.module_utils._monitoring.spec import BILLING_REGION
from ansible_collections.stackops.platform.plugins.module_utils._monitoring.spec import validate
from ansible_collections.stackops.platform.plugins.module_utils.platform import IDENTITY_ARGUMENT_SPEC
from ansible_collections.stackops.platform.plugins.module_utils.platform import clients
from ansible_collections.stackops.platform.plugins.module_utils.platform import run_reconciler


def argument_spec():
    spec = dict(
        name=dict(type="str", required=True),
        kms_key_id=dict(type="str", no_log=False),
        log_kms_key_id=dict(type="str", no_log=False),
        topics=dict(
            type="list",
            elements="dict",
            default=[{"name": "critical"}, {"name": "warning"}],
            options=dict(
                name=dict(type="str", required=True),
                subscriptions=dict(type="list", elements="dict", default=[]),
            ),
        ),
        log_groups=dict(type="list", elements="dict", default=[]),
        metric_namespace=dict(type="str"),
        tiers=dict(type="list", elements="str", default=[]),
        targets=dict(type="dict", default={}),
        alarms=dict(type="dict", default={}),
        billing_thresholds=dict(type="list", elements="float", default=[]),
        billing_currency=dict(type="str", default="USD"),
        dashboard=dict(type="bool", default=True),
        dashboard_name=dict(type="str"),
        **IDENTITY_ARGUMENT_SPEC,
    )
    spec["tags"] = dict(type="dict", aliases=["resource_tags"])
    return spec


def main():
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True)

    def make(region):
        services = {"sts": "sts", "sns": "sns", "logs": "logs", "cloudwatch": "cloudwatch"}
        if module.params["billing_thresholds"] and region != BILLING_REGION:
            services.update(cloudwatch_billing=("cloudwatch", BILLING_REGION), sns_billing=("sns", BILLING_REGION))
        return MonitoringReconciler(module.params, region, clients(module, services), module.check_mode)

    run_reconciler(module, make, "monitoring", "monitoring", validate=lambda params, region: validate(params))


if __name__ == "__main__":
    main()
