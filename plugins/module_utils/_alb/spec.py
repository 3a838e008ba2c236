# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The load balancer spec: validation, names, target groups, listener rules, the access log bucket policy.

Pure Python, no AWS calls. Shared by the ``alb_platform`` module and the ``cluster_ecs_spec_errors`` filter.
"""

from __future__ import annotations

import re

# TLS 1.2+ policies (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html).
SSL_POLICIES = (
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
    "ELBSecurityPolicy-TLS-1-2-2017-01",
    "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
    "ELBSecurityPolicy-FS-1-2-Res-2020-10",
)
DEFAULT_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
# The accounts of Elastic Load Balancing that write access logs, in regions available before August 2022
# (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html); newer
# regions use the log delivery service principal.
ELB_ACCOUNTS = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-southeast-3": "589379963580",
    "ap-south-1": "718504428378",
    "ap-northeast-3": "383597477331",
    "ap-northeast-2": "600734575887",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-northeast-1": "582318560864",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-south-1": "635631232127",
    "eu-west-3": "009996457667",
    "eu-north-1": "897822967062",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
    "us-gov-west-1": "048591011584",
    "us-gov-east-1": "190560391635",
}
LOG_DELIVERY_PRINCIPAL = "logdelivery.elasticloadbalancing.amazonaws.com"
_CERT_ARN_RE = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$")
_DOMAIN_RE = re.compile(r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_HOST_RE = re.compile(r"^[A-Za-z0-9*?.-]{1,128}$")
_PATH_RE = re.compile(r"^/[A-Za-z0-9_\-.$/~\"'@:+*?&]{0,127}$")
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_ACL_ARN_RE = re.compile(r"^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:regional/webacl/.+$")


class Names:
    def __init__(self, base):
        self.base = base
        self.load_balancer = f"{base}-alb"

    def target_group(self, service):
        return f"{self.base}-{service}"

    def bucket(self, account, region):
        # S3 bucket names are global: one bucket per region of the environment.
        return f"{self.base}-alb-logs-{account}-{region}"


def _int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def health_check(target):
    """The seeds' health check: /health every 30 s, 5 s timeout, 2 healthy, 3 unhealthy."""
    return {
        "path": target.get("health_check_path") or "/health",
        "interval": target.get("health_check_interval") or 30,
        "timeout": target.get("health_check_timeout") or 5,
        "healthy": target.get("healthy_threshold") or 2,
        "unhealthy": target.get("unhealthy_threshold") or 3,
        "matcher": str(target.get("health_check_matcher") or "200"),
    }


def validate(spec, var=None):
    """Every rule the load balancer spec breaks. ``spec`` has the ``alb_platform`` option names."""
    var = var or (lambda key: key)
    errors = []
    name = spec.get("name")
    if name is not None and len(f"{name}-alb") > 32:
        errors.append(
            f"{var('name')}: {name!r} is too long: the load balancer's name {name}-alb must be at most 32 characters"
        )
    certificate, domain = spec.get("certificate_arn"), spec.get("certificate_domain")
    if not certificate and not domain:
        errors.append(
            f"{var('certificate_arn')}: the HTTPS listener needs a certificate: set {var('certificate_arn')} "
            f"(an ACM certificate ARN) or {var('certificate_domain')} (the domain of an issued ACM certificate)"
        )
    if certificate and not _CERT_ARN_RE.match(str(certificate)):
        errors.append(
            f"{var('certificate_arn')}: {certificate!r} is not an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)"
        )
    if domain and not _DOMAIN_RE.match(str(domain)):
        errors.append(f"{var('certificate_domain')}: {domain!r} is not a domain name")
    policy = spec.get("ssl_policy") or DEFAULT_SSL_POLICY
    if policy not in SSL_POLICIES:
        errors.append(f"{var('ssl_policy')}: {policy!r} is not a TLS 1.2+ policy ({', '.join(SSL_POLICIES)})")
    idle = spec.get("idle_timeout", 60)
    if not _int(idle) or not 1 <= idle <= 4000:
        errors.append(f"{var('idle_timeout')}: {idle!r} must be 1-4000 seconds")
    bucket = spec.get("access_logs_bucket")
    if bucket and not _BUCKET_RE.match(str(bucket)):
        errors.append(f"{var('access_logs_bucket')}: {bucket!r} is not an S3 bucket name")
    days = spec.get("access_logs_days", 365)
    if not _int(days) or days < 1:
        errors.append(f"{var('access_logs_days')}: {days!r} must be 1 or more days")
    acl = spec.get("waf_web_acl_arn")
    if acl and not _ACL_ARN_RE.match(str(acl)):
        errors.append(f"{var('waf_web_acl_arn')}: {acl!r} is not a REGIONAL WAFv2 web ACL ARN")
    targets = spec.get("target_groups") or []
    ports = {}
    for index, target in enumerate(targets):
        where = f"{var('target_groups')}[{index}]"
        service = target.get("service")
        if name and service and len(f"{name}-{service}") > 32:
            errors.append(
                f"{where}: the target group name {name}-{service} is longer than 32 characters; shorten the service name"
            )
        port = target.get("port")
        if not _int(port) or not 1 <= port <= 65535:
            errors.append(f"{where}.port: {port!r} is outside 1-65535")
        ports[service] = port
        check = health_check(target)
        if not str(check["path"]).startswith("/"):
            errors.append(f"{where}.health_check_path: {check['path']!r} must start with /")
        if not _int(check["interval"]) or not 5 <= check["interval"] <= 300:
            errors.append(f"{where}.health_check_interval: {check['interval']!r} must be 5-300 seconds")
        if not _int(check["timeout"]) or not 2 <= check["timeout"] <= 120:
            errors.append(f"{where}.health_check_timeout: {check['timeout']!r} must be 2-120 seconds")
        elif _int(check["interval"]) and check["timeout"] >= check["interval"]:
            errors.append(
                f"{where}.health_check_timeout: {check['timeout']} must be less than the interval {check['interval']}"
            )
        for key in ("healthy", "unhealthy"):
            if not _int(check[key]) or not 2 <= check[key] <= 10:
                errors.append(f"{where}.{key}_threshold: {check[key]!r} must be 2-10")
    default = spec.get("default_service")
    if default and default not in ports:
        errors.append(
            f"{var('default_service')}: {default!r} is not a service with a port ({', '.join(sorted(map(str, ports))) or 'none'})"
        )
    priorities = {}
    for index, rule in enumerate(spec.get("rules") or []):
        where = f"{var('rules')}[{index}]"
        if not isinstance(rule, dict):
            errors.append(f"{where}: must be a mapping (service, hosts, paths, priority)")
            continue
        service = rule.get("service")
        if not service:
            errors.append(f"{where}.service: a rule needs a target service (the service its requests go to)")
        elif service not in ports:
            errors.append(
                f"{where}.service: {service!r} is not a service with a port ({', '.join(sorted(map(str, ports))) or 'none'})"
            )
        hosts, paths = rule.get("hosts") or [], rule.get("paths") or []
        if not hosts and not paths:
            errors.append(f"{where}: a rule needs hosts or paths (or both)")
        if len(hosts) + len(paths) > 5:
            errors.append(f"{where}: at most 5 host and path values per rule (an ALB limit)")
        for host in hosts:
            if not _HOST_RE.match(str(host)):
                errors.append(f"{where}.hosts: {host!r} is not a host name pattern")
        for path in paths:
            if not _PATH_RE.match(str(path)):
                errors.append(f"{where}.paths: {path!r} is not a path pattern (starting with /)")
        priority = rule.get("priority") or (index + 1) * 10
        if not _int(priority) or not 1 <= priority <= 50000:
            errors.append(f"{where}.priority: {priority!r} must be 1-50000")
        elif priority in priorities:
            errors.append(
                f"{where}.priority: {priority} is also the priority of {var('rules')}[{priorities[priority]}]"
            )
        priorities[priority] = index
    return errors


def rules(spec):
    """{priority: {"conditions": {...}, "service": name}} of the HTTPS listener."""
    found = {}
    for index, rule in enumerate(spec.get("rules") or []):
        priority = rule.get("priority") or (index + 1) * 10
        found[priority] = {
            "hosts": sorted(rule.get("hosts") or []),
            "paths": sorted(rule.get("paths") or []),
            "service": rule["service"],
        }
    return found


def rule_conditions(rule):
    conditions = []
    if rule["hosts"]:
        conditions.append({"Field": "host-header", "HostHeaderConfig": {"Values": rule["hosts"]}})
    if rule["paths"]:
        conditions.append({"Field": "path-pattern", "PathPatternConfig": {"Values": rule["paths"]}})
    return conditions


def describe_rule(rule):
    what = []
    if rule["hosts"]:
        what.append("host " + ",".join(rule["hosts"]))
    if rule["paths"]:
        what.append("path " + ",".join(rule["paths"]))
    return f"{' and '.join(what)} -> {rule['service']}"


def bucket_policy(bucket, prefix, account, region, partition="aws"):
    """Let Elastic Load Balancing write access logs under ``<prefix>/AWSLogs/<account>/`` and nothing else."""
    resource = f"arn:{partition}:s3:::{bucket}/{prefix + '/' if prefix else ''}AWSLogs/{account}/*"
    principal = (
        {"AWS": f"arn:{partition}:iam::{ELB_ACCOUNTS[region]}:root"}
        if region in ELB_ACCOUNTS
        else {"Service": LOG_DELIVERY_PRINCIPAL}
    )
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ElbLogDelivery",
                "Effect": "Allow",
                "Principal": principal,
                "Action": "s3:PutObject",
                "Resource": resource,
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:{partition}:s3:::{bucket}", f"arn:{partition}:s3:::{bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }


def bucket_lifecycle(days):
    return {
        "Rules": [
            {"ID": "expire-access-logs", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": days}}
        ]
    }
