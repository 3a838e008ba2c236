"""ModifySecurityGroupRules changes the description of a rule that references a security group.

AWS: ModifySecurityGroupRules "modifies the rules of a security group"; a rule's ``Description`` is one of
the fields it sets, whatever the rule's source (CIDR, prefix list or referenced group), and
DescribeSecurityGroups then shows the new description on the rule's UserIdGroupPairs entry
(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifySecurityGroupRules.html,
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_SecurityGroupRuleRequest.html).

moto 5.2 writes the description of a group-referencing rule to the rule's IP range instead of its source
group, so DescribeSecurityGroups keeps showing the old one (and an idempotent converge never settles). This
behaviour lets moto act, then puts the description where AWS shows it.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

_RULE_RE = re.compile(r"^SecurityGroupRule\.(\d+)\.(.+)$")


class Ec2SecurityGroupRuleDescription:
    name = "ec2-sg-rule-description"
    summary = "ModifySecurityGroupRules updates the description of rules that reference a security group"
    documented_by = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifySecurityGroupRules.html"

    def reset(self):
        pass

    def __call__(self, request, forward):
        call = request.call
        if call.protocol != "ec2" or call.operation != "ModifySecurityGroupRules":
            return forward(request)
        response = forward(request)
        if not response.ok:
            return response
        params = dict(parse_qsl(request.body.decode("utf-8", "replace")))
        rules = {}
        for key, value in params.items():
            match = _RULE_RE.match(key)
            if match:
                rules.setdefault(match.group(1), {})[match.group(2)] = value
        for rule in rules.values():
            description = rule.get("SecurityGroupRule.Description")
            if rule.get("SecurityGroupRule.ReferencedGroupId") and description is not None:
                _set_description(call.region, params.get("GroupId"), rule.get("SecurityGroupRuleId"), description)
        return response


def _set_description(region, group_id, rule_id, description):
    from moto.ec2.models import ec2_backends

    for account in list(ec2_backends):
        backend = ec2_backends[account][region]
        group = backend.get_security_group_by_name_or_id(group_id) if group_id else None
        found = group.get_rule(rule_id) if group else None
        if found is not None:
            found.source_group["Description"] = description
            found.ip_range.pop("Description", None)
            return
