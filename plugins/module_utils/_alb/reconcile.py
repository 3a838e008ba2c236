# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Converge the Application Load Balancer in one pass: read everything, check preconditions, then write.

Order: the access log bucket (the load balancer checks it can write there) -> the load balancer and its
attributes -> target groups -> listeners (HTTPS, HTTP redirect) -> the HTTPS listener's rules -> the WAF
association. Every write sits behind ``Changes.add`` (check mode makes none).
"""

from __future__ import annotations

import json

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
from .spec import DEFAULT_SSL_POLICY
from .spec import Names
from .spec import bucket_lifecycle
from .spec import bucket_policy
from .spec import describe_rule
from .spec import health_check
from .spec import rule_conditions
from .spec import rules as desired_rules

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
            self.bucket_state = self._read_bucket(self.bucket)

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

    def _read_bucket(self, bucket):
        s3 = self.c["s3"]
        if not_found(lambda: s3.head_bucket(Bucket=bucket, aws_retry=True), "404", "NoSuchBucket", "NotFound") is None:
            return None
        policy = not_found(lambda: s3.get_bucket_policy(Bucket=bucket, aws_retry=True), "NoSuchBucketPolicy")
        lifecycle = not_found(
            lambda: s3.get_bucket_lifecycle_configuration(Bucket=bucket, aws_retry=True), "NoSuchLifecycleConfiguration"
        )
        block = not_found(
            lambda: s3.get_public_access_block(Bucket=bucket, aws_retry=True), "NoSuchPublicAccessBlockConfiguration"
        )
        encryption = not_found(
            lambda: s3.get_bucket_encryption(Bucket=bucket, aws_retry=True),
            "ServerSideEncryptionConfigurationNotFoundError",
        )
        tags = not_found(lambda: s3.get_bucket_tagging(Bucket=bucket, aws_retry=True), "NoSuchTagSet")
        rules = (encryption or {}).get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
        return {
            "policy": json.loads(policy["Policy"]) if policy else None,
            "lifecycle": [
                r.get("Expiration", {}).get("Days")
                for r in (lifecycle or {}).get("Rules", [])
                if r.get("ID") == "expire-access-logs"
            ],
            "block": (block or {}).get("PublicAccessBlockConfiguration"),
            "encryption": [r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm") for r in rules],
            "tags": boto3_tag_list_to_ansible_dict((tags or {}).get("TagSet", [])),
        }

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

    def _tg_view(self, group):
        if not group:
            return None
        return {
            "port": group.get("Port"),
            "target_type": group.get("TargetType"),
            "health_check": {
                "path": group.get("HealthCheckPath"),
                "interval": group.get("HealthCheckIntervalSeconds"),
                "timeout": group.get("HealthCheckTimeoutSeconds"),
                "healthy": group.get("HealthyThresholdCount"),
                "unhealthy": group.get("UnhealthyThresholdCount"),
                "matcher": (group.get("Matcher") or {}).get("HttpCode"),
            },
        }

    def _desired_tg(self, target):
        return {"port": target["port"], "target_type": "ip", "health_check": health_check(target)}

    def _https_view(self, listener):
        if not listener:
            return None
        return {
            "protocol": listener.get("Protocol"),
            "certificate": ((listener.get("Certificates") or [{}])[0]).get("CertificateArn"),
            "ssl_policy": listener.get("SslPolicy"),
            "default": self._action_view(listener.get("DefaultActions") or []),
        }

    def _action_view(self, actions):
        action = actions[0] if actions else {}
        if action.get("Type") == "forward":
            arn = action.get("TargetGroupArn") or ((action.get("ForwardConfig") or {}).get("TargetGroups") or [{}])[
                0
            ].get("TargetGroupArn")
            service = next((s for s, a in self.tg_arns.items() if a and a == arn), arn)
            return f"forward to {service}"
        if action.get("Type") == "redirect":
            config = action.get("RedirectConfig") or {}
            return f"redirect to {config.get('Protocol')} {config.get('Port')} ({config.get('StatusCode')})"
        if action.get("Type") == "fixed-response":
            return f"fixed response {(action.get('FixedResponseConfig') or {}).get('StatusCode')}"
        return action.get("Type")

    def _rule_view(self, rule):
        hosts, paths = [], []
        for condition in rule.get("Conditions") or []:
            if condition.get("Field") == "host-header":
                hosts = sorted((condition.get("HostHeaderConfig") or {}).get("Values") or condition.get("Values") or [])
            elif condition.get("Field") == "path-pattern":
                paths = sorted(
                    (condition.get("PathPatternConfig") or {}).get("Values") or condition.get("Values") or []
                )
        action = self._action_view(rule.get("Actions") or [])
        service = action.removeprefix("forward to ")
        return describe_rule({"hosts": hosts, "paths": paths, "service": service})

    def _default_action(self):
        service = self.p.get("default_service")
        if service:
            return [{"Type": "forward", "TargetGroupArn": self.tg_arns.get(service)}]
        return [
            {
                "Type": "fixed-response",
                "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain", "MessageBody": "Not found"},
            }
        ]

    def _desired_https(self):
        return {
            "protocol": "HTTPS",
            "certificate": self.certificate,
            "ssl_policy": self.p.get("ssl_policy") or DEFAULT_SSL_POLICY,
            "default": f"forward to {self.p['default_service']}"
            if self.p.get("default_service")
            else "fixed response 404",
        }

    REDIRECT = [{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}]

    def snapshot(self, desired=False):
        if desired:
            return {
                "load_balancer": {
                    "name": self.names.load_balancer,
                    "scheme": "internet-facing",
                    "subnets": len(self.subnets),
                    "attributes": self.desired_attributes(),
                },
                "target_groups": {t["service"]: self._desired_tg(t) for t in self.p.get("target_groups") or []},
                "listeners": {"HTTPS 443": self._desired_https(), "HTTP 80": self._action_view(self.REDIRECT)},
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
            "target_groups": {s: self._tg_view(g) for s, g in sorted(self.target_groups.items())},
            "listeners": {
                f"{listener['Protocol']} {port}": (
                    self._https_view(listener)
                    if port == 443
                    else self._action_view(listener.get("DefaultActions") or [])
                )
                for port, listener in sorted(self.listeners.items())
            },
            "rules": {str(k): self._rule_view(v) for k, v in sorted(self.rules.items())},
            "waf_web_acl": self.acl_current if self.p.get("waf") else None,
        }

    # -- converge --------------------------------------------------------------------------------------------------

    def converge(self):
        self.read()
        self.tg_arns = {s: g["TargetGroupArn"] for s, g in self.target_groups.items()}
        self.before_snapshot = self.snapshot()
        self.check()
        if self.p.get("access_logs"):
            self.converge_bucket()
        self.converge_load_balancer()
        self.converge_target_groups()
        self.converge_listeners()
        self.converge_rules()
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

    def converge_bucket(self):
        s3, bucket = self.c["s3"], self.bucket
        state = self.bucket_state
        prefix = self.p.get("access_logs_prefix") or ""
        if state is None:
            state = {"policy": None, "lifecycle": [], "block": None, "encryption": [], "tags": {}}
            if self.changes.add(f"create S3 bucket {bucket} for access logs"):
                params = {"Bucket": bucket}
                if self.region != "us-east-1":
                    params["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
                create_once(
                    lambda: s3.create_bucket(**params),
                    lambda: not_found(lambda: s3.head_bucket(Bucket=bucket), "404", "NoSuchBucket", "NotFound"),
                    f"S3 bucket {bucket}",
                    self.warnings,
                )
        block = {
            key: True for key in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
        }
        if state["block"] != block and self.changes.add(f"block public access to S3 bucket {bucket}"):
            s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=block, aws_retry=True)
        # Access logs support SSE-S3 only (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html).
        if state["encryption"] != ["AES256"] and self.changes.add(f"encrypt S3 bucket {bucket} (SSE-S3)"):
            s3.put_bucket_encryption(
                Bucket=bucket,
                ServerSideEncryptionConfiguration={
                    "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
                },
                aws_retry=True,
            )
        policy = bucket_policy(bucket, prefix, self.account, self.region, self.partition)
        if state["policy"] != policy and self.changes.add(f"set the ELB log delivery policy of S3 bucket {bucket}"):
            s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy), aws_retry=True)
        days = self.p.get("access_logs_days") or 365
        if state["lifecycle"] != [days] and self.changes.add(
            f"expire access logs in S3 bucket {bucket} after {days} days"
        ):
            s3.put_bucket_lifecycle_configuration(
                Bucket=bucket, LifecycleConfiguration=bucket_lifecycle(days), aws_retry=True
            )
        tags = self.resource_tags(bucket)
        if {k: v for k, v in state["tags"].items() if not k.startswith("aws:")} != tags and self.changes.add(
            f"tag S3 bucket {bucket}"
        ):
            s3.put_bucket_tagging(
                Bucket=bucket, Tagging={"TagSet": ansible_dict_to_boto3_tag_list(tags)}, aws_retry=True
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

    def converge_target_groups(self):
        elb = self.c["elbv2"]
        for target in self.p.get("target_groups") or []:
            service, name = target["service"], self.names.target_group(target["service"])
            desired = self._desired_tg(target)
            check = desired["health_check"]
            health = dict(
                HealthCheckProtocol="HTTP",
                HealthCheckPath=check["path"],
                HealthCheckIntervalSeconds=check["interval"],
                HealthCheckTimeoutSeconds=check["timeout"],
                HealthyThresholdCount=check["healthy"],
                UnhealthyThresholdCount=check["unhealthy"],
                Matcher={"HttpCode": check["matcher"]},
            )
            group = self.target_groups.get(service)
            if group is None:
                self.tg_arns[service] = None
                if self.changes.add(f"create target group {name} (ip, port {target['port']}, health {check['path']})"):
                    params = dict(
                        Name=name,
                        Protocol="HTTP",
                        Port=target["port"],
                        VpcId=self.vpc_id,
                        TargetType="ip",
                        Tags=ansible_dict_to_boto3_tag_list(
                            self.resource_tags(name, **{ecs_state.TAG_SERVICE: service})
                        ),
                        **health,
                    )
                    self.tg_arns[service] = create_once(
                        lambda params=params: elb.create_target_group(**params),
                        lambda name=name: not_found(
                            lambda: elb.describe_target_groups(Names=[name], aws_retry=True), "TargetGroupNotFound"
                        ),
                        f"target group {name}",
                        self.warnings,
                    )["TargetGroups"][0]["TargetGroupArn"]
                continue
            arn = group["TargetGroupArn"]
            current = self._tg_view(group)
            if current["port"] != desired["port"] or current["target_type"] != "ip":
                raise ReconcileError(
                    f"target_groups: target group {name} has port {current['port']} ({current['target_type']} targets); "
                    f"the spec says {desired['port']} (ip): AWS cannot change that in place; delete the target group "
                    "(and the service using it) or change the service's name"
                )
            if current["health_check"] != check and self.changes.add(
                f"target group {name}: set the health check to {check['path']} every {check['interval']} s"
            ):
                elb.modify_target_group(TargetGroupArn=arn, aws_retry=True, **health)
            self._set_tg_tags(arn, name, service)

    def _set_tg_tags(self, arn, name, service):
        sync_tags(
            self.changes,
            self.c["elbv2"],
            "elbv2",
            arn,
            f"target group {name}",
            self.tags.get(arn, {}),
            self.resource_tags(name, **{ecs_state.TAG_SERVICE: service}),
            self.purge_tags,
        )

    def converge_listeners(self):
        elb = self.c["elbv2"]
        lb_arn = (self.lb or {}).get("LoadBalancerArn")
        https, desired = self.listeners.get(443), self._desired_https()
        params = dict(
            Protocol="HTTPS",
            Port=443,
            SslPolicy=desired["ssl_policy"],
            Certificates=[{"CertificateArn": self.certificate}],
            DefaultActions=self._default_action(),
        )
        if https is None:
            if (
                self.changes.add(f"create listener HTTPS 443 ({desired['ssl_policy']}, {desired['default']})")
                and lb_arn
            ):
                listener = create_once(
                    lambda: elb.create_listener(
                        LoadBalancerArn=lb_arn,
                        Tags=ansible_dict_to_boto3_tag_list(self.resource_tags("https")),
                        **params,
                    ),
                    lambda: self._find_listener(lb_arn, 443),
                    "listener HTTPS 443",
                    self.warnings,
                )["Listeners"][0]
                self.listeners[443] = listener
        elif self._https_view(https) != desired and self.changes.add(
            "listener HTTPS 443: set " + ", ".join(k for k, v in desired.items() if self._https_view(https).get(k) != v)
        ):
            elb.modify_listener(ListenerArn=https["ListenerArn"], aws_retry=True, **params)
        http = self.listeners.get(80)
        if http is None:
            if self.changes.add("create listener HTTP 80 (redirect to HTTPS 443)") and lb_arn:
                create_once(
                    lambda: elb.create_listener(
                        LoadBalancerArn=lb_arn,
                        Protocol="HTTP",
                        Port=80,
                        DefaultActions=self.REDIRECT,
                        Tags=ansible_dict_to_boto3_tag_list(self.resource_tags("http")),
                    ),
                    lambda: self._find_listener(lb_arn, 80),
                    "listener HTTP 80",
                    self.warnings,
                )
        elif self._action_view(http.get("DefaultActions") or []) != self._action_view(
            self.REDIRECT
        ) and self.changes.add("listener HTTP 80: redirect to HTTPS 443"):
            elb.modify_listener(
                ListenerArn=http["ListenerArn"], Protocol="HTTP", Port=80, DefaultActions=self.REDIRECT, aws_retry=True
            )

    def converge_rules(self):
        elb = self.c["elbv2"]
        listener = self.listeners.get(443)
        wanted = desired_rules(self.p)
        for priority, rule in sorted(wanted.items()):
            actions = [{"Type": "forward", "TargetGroupArn": self.tg_arns.get(rule["service"])}]
            current = self.rules.get(priority)
            if current is None:
                if self.changes.add(f"create listener rule {priority}: {describe_rule(rule)}") and listener:
                    create_once(
                        lambda priority=priority, rule=rule, actions=actions: elb.create_rule(
                            ListenerArn=listener["ListenerArn"],
                            Priority=priority,
                            Conditions=rule_conditions(rule),
                            Actions=actions,
                        ),
                        lambda priority=priority: self._find_rule(listener["ListenerArn"], priority),
                        f"listener rule {priority}",
                        self.warnings,
                    )
            elif self._rule_view(current) != describe_rule(rule) and self.changes.add(
                f"listener rule {priority}: {self._rule_view(current)} becomes {describe_rule(rule)}"
            ):
                elb.modify_rule(
                    RuleArn=current["RuleArn"], Conditions=rule_conditions(rule), Actions=actions, aws_retry=True
                )
        for priority, current in sorted(self.rules.items()):
            if priority not in wanted and self.changes.add(
                f"delete listener rule {priority}: {self._rule_view(current)}"
            ):
                elb.delete_rule(RuleArn=current["RuleArn"], aws_retry=True)

    def _find_listener(self, lb_arn, port):
        listeners = self.c["elbv2"].describe_listeners(LoadBalancerArn=lb_arn, aws_retry=True)["Listeners"]
        found = [listener for listener in listeners if listener["Port"] == port]
        return {"Listeners": found} if found else None

    def _find_rule(self, listener_arn, priority):
        rules = self.c["elbv2"].describe_rules(ListenerArn=listener_arn, aws_retry=True)["Rules"]
        return next((r for r in rules if r["Priority"] == str(priority)), None)

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
