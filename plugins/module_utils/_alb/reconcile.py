# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Converge the Application Load Balancer in one pass: read everything, check preconditions, then write.

Order: the access log bucket (the load balancer checks it can write there) -> the load balancer and its
attributes -> target groups -> listeners (HTTPS, HTTP redirect) -> the HTTPS listener's rules -> the WAF
association. Every write sits behind ``Changes.add`` (check mode makes none).

The reconciler reads and holds the state, and converges the load balancer and the WAF association; its parts
converge the rest: ``bucket.py`` (access logs), ``target_groups.py``, ``listeners.py`` (listeners and rules).
"""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from .._ecs import state as ecs_state
from .._security import state as security_state
from ..platform import Changes
from ..platform import ReconcileError
from ..platform import create_once
from ..platform import identity_tags
from ..platform import not_found
from ..platform import partition_for
from ..platform import resource_tags
from ..platform import single_attempt
from ..platform import sync_tags
from ..platform import tags_purged
from .bucket import AccessLogBucket
from .listeners import REDIRECT
from .listeners import Listeners
from .spec import Names
from .spec import describe_rule
from .spec import rules as desired_rules
from .target_groups import TargetGroups

COMPONENT = "cluster"


class AlbReconciler:
    def __init__(self, params, region, clients, check_mode):
        self.p = params
        self.region = region
        self.c = dict(clients)
        # Creates without an idempotency token: sent once, then looked for by name, port or priority after
        # an answer that leaves it unknown whether they acted (platform.create_once).
        if "elbv2" in clients:
            self.c["elbv2"] = single_attempt(
                clients["elbv2"], "CreateLoadBalancer", "CreateTargetGroup", "CreateListener", "CreateRule"
            )
        if "s3" in clients:
            self.c["s3"] = single_attempt(clients["s3"], "CreateBucket")
        self.changes = Changes(check_mode)
        self.warnings = []
        self.partition = partition_for(region)
        self.identity = identity_tags(params["platform"], params["environment"], COMPONENT)
        self.names = Names(params["name"])
        self.purge_tags = tags_purged(params)
        self.account = None
        self.subnets, self.vpc_id, self.group_id = [], params.get("vpc_id"), None
        self.certificate = None
        self.lb = None
        self.attributes = {}
        self.target_groups = {}  # service -> describe result
        self.tags = {}  # arn -> tags
        self.listeners = {}  # port -> describe result
        self.rules = {}  # priority -> describe result
        self.acl_current = None
        self.acl_wanted = None
        self.bucket = None
        self.bucket_state = None
        self.tg_arns = {}
        self.before_snapshot = {}
        self.bucket_part = AccessLogBucket(self)
        self.tg_part = TargetGroups(self)
        self.listener_part = Listeners(self)

    @property
    def check_mode(self):
        return self.changes.check_mode

    def resource_tags(self, name, **extra):
        return resource_tags(self.identity, self.p.get("tags"), name=name, **extra)

    # -- read --------------------------------------------------------------------------------------------------

    def read(self):
        p = self.p
        self.account = self.c["sts"].get_caller_identity(aws_retry=True)["Account"]
        ec2 = self.c["ec2"]
        if p.get("subnet_ids"):
            self.subnets = list(p["subnet_ids"])
            if not self.vpc_id:
                found = ec2.describe_subnets(SubnetIds=self.subnets[:1], aws_retry=True)["Subnets"]
                self.vpc_id = found[0]["VpcId"] if found else None
        else:
            self.subnets, vpc = ecs_state.find_subnets(ec2, p["platform"], p["environment"], "public")
            self.vpc_id = self.vpc_id or vpc
        self.group_id = (p.get("security_group_ids") or [None])[0] or ecs_state.find_group(
            ec2, p["platform"], p["environment"], "alb"
        )
        self.certificate = p.get("certificate_arn") or self._find_certificate(p.get("certificate_domain"))
        elb = self.c["elbv2"]
        found = not_found(
            lambda: elb.describe_load_balancers(Names=[self.names.load_balancer], aws_retry=True),
            "LoadBalancerNotFound",
        )
        self.lb = found["LoadBalancers"][0] if found and found["LoadBalancers"] else None
        arns = []
        if self.lb:
            arns.append(self.lb["LoadBalancerArn"])
            attributes = elb.describe_load_balancer_attributes(
                LoadBalancerArn=self.lb["LoadBalancerArn"], aws_retry=True
            )
            self.attributes = {a["Key"]: a["Value"] for a in attributes["Attributes"]}
            for listener in ecs_state.paginate(
                elb, "describe_listeners", "Listeners", LoadBalancerArn=self.lb["LoadBalancerArn"]
            ):
                self.listeners[listener["Port"]] = listener
            https = self.listeners.get(443)
            if https:
                for rule in ecs_state.paginate(elb, "describe_rules", "Rules", ListenerArn=https["ListenerArn"]):
                    if not rule.get("IsDefault"):
                        self.rules[int(rule["Priority"])] = rule
            if p.get("waf"):
                answer = self.c["wafv2"].get_web_acl_for_resource(
                    ResourceArn=self.lb["LoadBalancerArn"], aws_retry=True
                )
                self.acl_current = (answer.get("WebACL") or {}).get("ARN")
        wanted = {self.names.target_group(t["service"]): t["service"] for t in p.get("target_groups") or []}
        for group in ecs_state.paginate(elb, "describe_target_groups", "TargetGroups"):
            if group["TargetGroupName"] in wanted:
                self.target_groups[wanted[group["TargetGroupName"]]] = group
                arns.append(group["TargetGroupArn"])
        for start in range(0, len(arns), 20):
            for item in elb.describe_tags(ResourceArns=arns[start : start + 20], aws_retry=True)["TagDescriptions"]:
                self.tags[item["ResourceArn"]] = boto3_tag_list_to_ansible_dict(item.get("Tags", []))
        if p.get("waf"):
            self.acl_wanted = p.get("waf_web_acl_arn") or self._find_web_acl()
        if p.get("access_logs"):
            self.bucket = p.get("access_logs_bucket") or self.names.bucket(self.account, self.region)
            self.bucket_state = self.bucket_part.read(self.bucket)

    def _find_certificate(self, domain):
        if not domain:
            return None
        for summary in ecs_state.paginate(
            self.c["acm"], "list_certificates", "CertificateSummaryList", CertificateStatuses=["ISSUED"]
        ):
            names = [summary.get("DomainName")] + list(summary.get("SubjectAlternativeNameSummaries") or [])
            if domain in names:
                return summary["CertificateArn"]
        return None

    def _find_web_acl(self):
        base = f"{self.p['platform']}-{self.p['environment']}"
        found = security_state.read_web_acl(self.c["wafv2"], f"{base}-waf", "REGIONAL", details=False)
        return found["summary"]["ARN"] if found else None

    # -- the desired form ----------------------------------------------------------------------------------------

    def desired_attributes(self):
        attributes = {
            "deletion_protection.enabled": str(bool(self.p.get("deletion_protection"))).lower(),
            "idle_timeout.timeout_seconds": str(self.p.get("idle_timeout") or 60),
            "routing.http.drop_invalid_header_fields.enabled": "true",
            "access_logs.s3.enabled": str(bool(self.p.get("access_logs"))).lower(),
        }
        if self.p.get("access_logs"):
            attributes["access_logs.s3.bucket"] = self.bucket
            attributes["access_logs.s3.prefix"] = self.p.get("access_logs_prefix") or ""
        return attributes

    def snapshot(self, desired=False):
        if desired:
            return {
                "load_balancer": {
                    "name": self.names.load_balancer,
                    "scheme": "internet-facing",
                    "subnets": len(self.subnets),
                    "attributes": self.desired_attributes(),
                },
                "target_groups": {t["service"]: self.tg_part.desired(t) for t in self.p.get("target_groups") or []},
                "listeners": {
                    "HTTPS 443": self.listener_part.desired_https(),
                    "HTTP 80": self.listener_part.action_view(REDIRECT),
                },
                "rules": {str(k): describe_rule(v) for k, v in sorted(desired_rules(self.p).items())},
                "waf_web_acl": self.acl_wanted if self.p.get("waf") else None,
            }
        return {
            "load_balancer": (
                {
                    "name": self.lb["LoadBalancerName"],
                    "scheme": self.lb.get("Scheme"),
                    "subnets": len(self.lb.get("AvailabilityZones") or []),
                    "attributes": {k: self.attributes.get(k) for k in self.desired_attributes()},
                }
                if self.lb
                else None
            ),
            "target_groups": {s: self.tg_part.view(g) for s, g in sorted(self.target_groups.items())},
            "listeners": {
                f"{listener['Protocol']} {port}": (
                    self.listener_part.https_view(listener)
                    if port == 443
                    else self.listener_part.action_view(listener.get("DefaultActions") or [])
                )
                for port, listener in sorted(self.listeners.items())
            },
            "rules": {str(k): self.listener_part.rule_view(v) for k, v in sorted(self.rules.items())},
            "waf_web_acl": self.acl_current if self.p.get("waf") else None,
        }

    # -- converge --------------------------------------------------------------------------------------------------

    def converge(self):
        self.read()
        self.tg_arns = {s: g["TargetGroupArn"] for s, g in self.target_groups.items()}
        self.before_snapshot = self.snapshot()
        self.check()
        if self.p.get("access_logs"):
            self.bucket_part.converge()
        self.converge_load_balancer()
        self.tg_part.converge()
        self.listener_part.converge()
        self.listener_part.converge_rules()
        self.converge_waf()

    def after(self):
        return self.snapshot(desired=True)

    def check(self):
        p = self.p
        problems = []
        if not self.subnets:
            problems.append(
                f"subnet_ids: no public subnets of the network tier for {p['platform']}-{p['environment']} in {self.region}; "
                "converge playbooks/network.yml first, or give subnet_ids"
            )
        if not self.group_id:
            problems.append(
                f"security_group_ids: no alb security group of the security tier for {p['platform']}-{p['environment']}; "
                "converge playbooks/security.yml first, or give security_group_ids"
            )
        if not self.certificate:
            problems.append(
                f"certificate_domain: no ISSUED ACM certificate for {p.get('certificate_domain')!r} in {self.region}; "
                "request one (and validate it) or import one, or give certificate_arn"
            )
        if p.get("waf") and not self.acl_wanted:
            self.warnings.append(
                "waf: no REGIONAL web ACL of the security tier was found (security_waf: true makes one); the load "
                "balancer has no WAF until then"
            )
        if problems and not self.check_mode:
            raise ReconcileError("; ".join(problems))
        self.warnings.extend(f"(check mode) {problem}" for problem in problems)

    def _set_tags(self, arn, current, name, label):
        sync_tags(
            self.changes, self.c["elbv2"], "elbv2", arn, label, current, self.resource_tags(name), self.purge_tags
        )

    def converge_load_balancer(self):
        elb = self.c["elbv2"]
        name = self.names.load_balancer
        if self.lb is None:
            if self.changes.add(f"create load balancer {name} (internet-facing, {len(self.subnets)} public subnets)"):
                self.lb = create_once(
                    lambda: elb.create_load_balancer(
                        Name=name,
                        Subnets=self.subnets,
                        SecurityGroups=[self.group_id],
                        Scheme="internet-facing",
                        Type="application",
                        IpAddressType="ipv4",
                        Tags=ansible_dict_to_boto3_tag_list(self.resource_tags(name)),
                    ),
                    lambda: not_found(
                        lambda: elb.describe_load_balancers(Names=[name], aws_retry=True), "LoadBalancerNotFound"
                    ),
                    f"load balancer {name}",
                    self.warnings,
                )["LoadBalancers"][0]
                self.attributes = {}
            else:
                return
        else:
            arn = self.lb["LoadBalancerArn"]
            self._set_tags(arn, self.tags.get(arn, {}), name, f"load balancer {name}")
            current = sorted(z["SubnetId"] for z in self.lb.get("AvailabilityZones") or [])
            if (
                self.subnets
                and current != sorted(self.subnets)
                and self.changes.add(f"load balancer {name}: set subnets")
            ):
                elb.set_subnets(LoadBalancerArn=arn, Subnets=self.subnets, aws_retry=True)
            if (
                self.group_id
                and self.lb.get("SecurityGroups") != [self.group_id]
                and self.changes.add(f"load balancer {name}: set security group {self.group_id}")
            ):
                elb.set_security_groups(LoadBalancerArn=arn, SecurityGroups=[self.group_id], aws_retry=True)
        changed = {k: v for k, v in self.desired_attributes().items() if self.attributes.get(k) != v}
        if changed and self.changes.add(
            f"load balancer {name}: set {', '.join(f'{k}={v}' for k, v in sorted(changed.items()))}"
        ):
            elb.modify_load_balancer_attributes(
                LoadBalancerArn=self.lb["LoadBalancerArn"],
                Attributes=[{"Key": k, "Value": v} for k, v in sorted(changed.items())],
                aws_retry=True,
            )

    def converge_waf(self):
        if not self.p.get("waf") or not self.acl_wanted or self.acl_current == self.acl_wanted:
            return
        if (
            self.changes.add(
                f"associate WAF web ACL {self.acl_wanted.rsplit('/', 2)[-2]} with {self.names.load_balancer}"
            )
            and self.lb
        ):
            self.c["wafv2"].associate_web_acl(
                WebACLArn=self.acl_wanted, ResourceArn=self.lb["LoadBalancerArn"], aws_retry=True
            )

    def result(self):
        lb = self.lb or {}
        return {
            "name": self.names.load_balancer,
            "arn": lb.get("LoadBalancerArn"),
            "dns_name": lb.get("DNSName"),
            "zone_id": lb.get("CanonicalHostedZoneId"),
            "target_groups": dict(sorted(self.tg_arns.items())),
            "listeners": {str(port): listener["ListenerArn"] for port, listener in sorted(self.listeners.items())},
            "certificate_arn": self.certificate,
            "access_logs_bucket": self.bucket,
            "waf_web_acl_arn": self.acl_wanted if self.p.get("waf") else None,
        }
