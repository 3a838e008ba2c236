#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: monitoring_info
short_description: Find an environment's alarms, alert topics and dashboard, and say which alarms are firing
version_added: 0.2.0
description:
  - Reads what M(stackops.platform.monitoring_platform) manages - the topics C(<name>-critical) and C(<name>-warning)
    with their subscriptions (pending confirmation or not), the alarms named C(<name>-alarm-*) (one paged
    DescribeAlarms) with their state, and the dashboard.
  - Makes read calls only. The status report and runbooks use it.
author:
  - stackops platform engineers (@stackops)
options:
  name:
    description: Base name of the topics and alarms. Defaults to C(<platform>-<environment>).
    type: str
  dashboard_name:
    description: The dashboard. Defaults to C(<name>-<region>).
    type: str
extends_documentation_fragment:
  - stackops.platform.platform
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Which alarms of prod are firing
  stackops.platform.monitoring_info:
    platform: moneytrack
    environment: prod
  register: found

- name: Show them
  ansible.builtin.debug:
    msg: "{{ found.monitoring.firing }}"
"""

RETURN = r"""
exists:
  description: Whether any topic or alarm of the tier exists.
  returned: always
  type: bool
monitoring:
  description: What was found.
  returned: always
  type: dict
  contains:
    topics: {description: "By short name: C(arn), C(encrypted), C(subscriptions) (protocol, endpoint, status).", type: dict}
    alarms: {description: "Alarm count by state (OK, ALARM, INSUFFICIENT_DATA).", type: dict}
    alarm_count: {description: How many alarms., type: int}
    firing: {description: Names of the alarms in state ALARM., type: list, elements: str}
    dashboard: {description: "The dashboard's name, or null when it does not exist.", type: str}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.platform.plugins.module_utils._monitoring import spec as sp
from ansible_collections.stackops.platform.plugins.module_utils._monitoring import state as st
from ansible_collections.stackops.platform.plugins.module_utils.platform import INFO_ARGUMENT_SPEC
from ansible_collections.stackops.platform.plugins.module_utils.platform import clients
from ansible_collections.stackops.platform.plugins.module_utils.platform import run_info


def read(module, region):
    p = module.params
    name = p["name"] or f"{p['platform']}-{p['environment']}"
    c = clients(module, {"sns": "sns", "cloudwatch": "cloudwatch"})
    topics = st.read_topics(c["sns"], {f"{name}-critical", f"{name}-warning"})
    alarms = st.read_alarms(c["cloudwatch"], sp.alarm_prefix(name))
    dashboard_name = p["dashboard_name"] or f"{name}-{region}"
    dashboard = st.read_dashboard(c["cloudwatch"], dashboard_name)
    states = {}
    for alarm in alarms.values():
        states[alarm["StateValue"]] = states.get(alarm["StateValue"], 0) + 1
    found = {
        "topics": {
            topic_name.removeprefix(f"{name}-"): {
                "arn": topic["arn"],
                "encrypted": bool(topic["attributes"].get("KmsMasterKeyId")),
                "subscriptions": [
                    {
                        "protocol": s["Protocol"],
                        "endpoint": s["Endpoint"],
                        "status": "pending" if s["SubscriptionArn"] == st.PENDING else "confirmed",
                    }
                    for s in topic["subscriptions"]
                ],
            }
            for topic_name, topic in sorted(topics.items())
        },
        "alarms": states,
        "alarm_count": len(alarms),
        "firing": sorted(n for n, a in alarms.items() if a["StateValue"] == "ALARM"),
        "dashboard": dashboard_name if dashboard else None,
    }
    return bool(topics or alarms), found


def main():
    argument_spec = dict(name=dict(type="str"), dashboard_name=dict(type="str"), **INFO_ARGUMENT_SPEC)
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    run_info(module, lambda region: read(module, region), "monitoring", "monitoring")


if __name__ == "__main__":
    main()
