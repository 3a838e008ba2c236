# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The load balancer's listeners (HTTPS with the certificate and TLS policy, HTTP redirected to HTTPS) and the
HTTPS listener's routing rules."""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ..platform import create_once
from .spec import DEFAULT_SSL_POLICY
from .spec import describe_rule
from .spec import rule_conditions
from .spec import rules as desired_rules

REDIRECT = [{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}]


class Listeners:
    def __init__(self, owner):
        self.o = owner

    def https_view(self, listener):
        if not listener:
            return None
        return {
            "protocol": listener.get("Protocol"),
            "certificate": ((listener.get("Certificates") or [{}])[0]).get("CertificateArn"),
            "ssl_policy": listener.get("SslPolicy"),
            "default": self.action_view(listener.get("DefaultActions") or []),
        }

    def action_view(self, actions):
        o = self.o
        action = actions[0] if actions else {}
        if action.get("Type") == "forward":
            arn = action.get("TargetGroupArn") or ((action.get("ForwardConfig") or {}).get("TargetGroups") or [{}])[
                0
            ].get("TargetGroupArn")
            service = next((s for s, a in o.tg_arns.items() if a and a == arn), arn)
            return f"forward to {service}"
        if action.get("Type") == "redirect":
            config = action.get("RedirectConfig") or {}
            return f"redirect to {config.get('Protocol')} {config.get('Port')} ({config.get('StatusCode')})"
        if action.get("Type") == "fixed-response":
            return f"fixed response {(action.get('FixedResponseConfig') or {}).get('StatusCode')}"
        return action.get("Type")

    def rule_view(self, rule):
        hosts, paths = [], []
        for condition in rule.get("Conditions") or []:
            if condition.get("Field") == "host-header":
                hosts = sorted((condition.get("HostHeaderConfig") or {}).get("Values") or condition.get("Values") or [])
            elif condition.get("Field") == "path-pattern":
                paths = sorted(
                    (condition.get("PathPatternConfig") or {}).get("Values") or condition.get("Values") or []
                )
        action = self.action_view(rule.get("Actions") or [])
        service = action.removeprefix("forward to ")
        return describe_rule({"hosts": hosts, "paths": paths, "service": service})

    def default_action(self):
        o = self.o
        service = o.p.get("default_service")
        if service:
            return [{"Type": "forward", "TargetGroupArn": o.tg_arns.get(service)}]
        return [
            {
                "Type": "fixed-response",
                "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain", "MessageBody": "Not found"},
            }
        ]

    def desired_https(self):
        o = self.o
        return {
            "protocol": "HTTPS",
            "certificate": o.certificate,
            "ssl_policy": o.p.get("ssl_policy") or DEFAULT_SSL_POLICY,
            "default": f"forward to {o.p['default_service']}" if o.p.get("default_service") else "fixed response 404",
        }

    def converge(self):
        o = self.o
        elb = o.c["elbv2"]
        lb_arn = (o.lb or {}).get("LoadBalancerArn")
        https, desired = o.listeners.get(443), self.desired_https()
        params = dict(
            Protocol="HTTPS",
            Port=443,
            SslPolicy=desired["ssl_policy"],
            Certificates=[{"CertificateArn": o.certificate}],
            DefaultActions=self.default_action(),
        )
        if https is None:
            if o.changes.add(f"create listener HTTPS 443 ({desired['ssl_policy']}, {desired['default']})") and lb_arn:
                listener = create_once(
                    lambda: elb.create_listener(
                        LoadBalancerArn=lb_arn,
                        Tags=ansible_dict_to_boto3_tag_list(o.resource_tags("https")),
                        **params,
                    ),
                    lambda: self._find_listener(lb_arn, 443),
                    "listener HTTPS 443",
                    o.warnings,
                )["Listeners"][0]
                o.listeners[443] = listener
        elif self.https_view(https) != desired and o.changes.add(
            "listener HTTPS 443: set " + ", ".join(k for k, v in desired.items() if self.https_view(https).get(k) != v)
        ):
            elb.modify_listener(ListenerArn=https["ListenerArn"], aws_retry=True, **params)
        http = o.listeners.get(80)
        if http is None:
            if o.changes.add("create listener HTTP 80 (redirect to HTTPS 443)") and lb_arn:
                create_once(
                    lambda: elb.create_listener(
                        LoadBalancerArn=lb_arn,
                        Protocol="HTTP",
                        Port=80,
                        DefaultActions=REDIRECT,
                        Tags=ansible_dict_to_boto3_tag_list(o.resource_tags("http")),
                    ),
                    lambda: self._find_listener(lb_arn, 80),
                    "listener HTTP 80",
                    o.warnings,
                )
        elif self.action_view(http.get("DefaultActions") or []) != self.action_view(REDIRECT) and o.changes.add(
            "listener HTTP 80: redirect to HTTPS 443"
        ):
            elb.modify_listener(
                ListenerArn=http["ListenerArn"], Protocol="HTTP", Port=80, DefaultActions=REDIRECT, aws_retry=True
            )

    def converge_rules(self):
        o = self.o
        elb = o.c["elbv2"]
        listener = o.listeners.get(443)
        wanted = desired_rules(o.p)
        for priority, rule in sorted(wanted.items()):
            actions = [{"Type": "forward", "TargetGroupArn": o.tg_arns.get(rule["service"])}]
            current = o.rules.get(priority)
            if current is None:
                if o.changes.add(f"create listener rule {priority}: {describe_rule(rule)}") and listener:
                    create_once(
                        lambda priority=priority, rule=rule, actions=actions: elb.create_rule(
                            ListenerArn=listener["ListenerArn"],
                            Priority=priority,
                            Conditions=rule_conditions(rule),
                            Actions=actions,
                        ),
                        lambda priority=priority: self._find_rule(listener["ListenerArn"], priority),
                        f"listener rule {priority}",
                        o.warnings,
                    )
            elif self.rule_view(current) != describe_rule(rule) and o.changes.add(
                f"listener rule {priority}: {self.rule_view(current)} becomes {describe_rule(rule)}"
            ):
                elb.modify_rule(
                    RuleArn=current["RuleArn"], Conditions=rule_conditions(rule), Actions=actions, aws_retry=True
                )
        for priority, current in sorted(o.rules.items()):
            if priority not in wanted and o.changes.add(f"delete listener rule {priority}: {self.rule_view(current)}"):
                elb.delete_rule(RuleArn=current["RuleArn"], aws_retry=True)

    def _find_listener(self, lb_arn, port):
        o = self.o
        listeners = o.c["elbv2"].describe_listeners(LoadBalancerArn=lb_arn, aws_retry=True)["Listeners"]
        found = [listener for listener in listeners if listener["Port"] == port]
        return {"Listeners": found} if found else None

    def _find_rule(self, listener_arn, priority):
        o = self.o
        rules = o.c["elbv2"].describe_rules(ListenerArn=listener_arn, aws_retry=True)["Rules"]
        return next((r for r in rules if r["Priority"] == str(priority)), None)
