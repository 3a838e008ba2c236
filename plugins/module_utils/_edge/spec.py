# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The edge spec: the hosted zone, ACM certificates, the CloudFront front end and the Route 53 records, and every
rule AWS would refuse, checked before any API call.

Pure Python. The ``edge_platform`` module runs ``validate`` on its options; the ``edge_spec_errors`` filter runs
the same rules with the role's prefix (``edge_frontend_domain``). Rules follow the CloudFront Developer Guide
("Values that you specify when you create a distribution", "Supported protocols and ciphers between viewers and
CloudFront", "Custom error responses"), the ACM User Guide ("DNS validation", quotas) and the Route 53 Developer
Guide (health checks, alias records).
"""

from __future__ import annotations

import hashlib
import re

from ..aws_rules import REGION_RE

CLOUDFRONT_REGION = "us-east-1"  # ACM certificates for CloudFront and CLOUDFRONT web ACLs live in us-east-1
CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"  # the hosted zone of every CloudFront alias target
PRICE_CLASSES = ("PriceClass_100", "PriceClass_200", "PriceClass_All")
# TLS 1.2 or later between viewers and CloudFront (the older policies allow TLS 1.0/1.1).
TLS_POLICIES = ("TLSv1.2_2018", "TLSv1.2_2019", "TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025")
ERROR_CODES = (400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504)  # codes CloudFront can customize
HEALTH_CHECK_INTERVALS = (10, 30)
MAX_DOMAINS_PER_CERTIFICATE = 10  # ACM's default quota: the domain plus 9 more names
PARTS = ("certificates", "frontend", "dns")
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"  # the managed cache policy CachingOptimized
PENDING = "<pending>"  # an ID or ARN not known yet: the resource is made later in the run, or not in check mode

_DOMAIN_RE = re.compile(r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_ROOT_OBJECT_RE = re.compile(r"^[A-Za-z0-9._~!$&'()*+,;=:@-][A-Za-z0-9._~!$&'()*+,;=:@/-]{0,254}$")
_CLOUDFRONT_WAF_RE = re.compile(r"^arn:aws[a-z-]*:wafv2:us-east-1:\d{12}:global/webacl/[\w-]+/[0-9a-f-]{36}$")
_REGIONAL_WAF_RE = re.compile(r"^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:regional/webacl/")
_LB_NAME_RE = re.compile(r"^[A-Za-z0-9](?!.*--)[A-Za-z0-9-]{0,30}[A-Za-z0-9]$")


class Names:
    def __init__(self, platform, environment):
        base = f"{platform}-{environment}"
        self.base = base
        self.frontend_bucket = f"{base}-frontend"
        self.frontend_logs_bucket = f"{base}-frontend-logs"
        self.origin_access_control = f"{base}-frontend"
        self.distribution_comment = f"{base}-frontend"
        self.caller_reference = f"{base}-frontend"
        self.load_balancer = f"{base}-alb"
        self.health_check = f"{base}-api-primary"


def token(*parts):
    """A deterministic ACM IdempotencyToken (\\w+, at most 32): a retry within the hour gets the same certificate."""
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def fqdn(name):
    return name.rstrip(".").lower() + "."


def in_zone(domain, zone):
    domain, zone = str(domain).lower().rstrip("."), str(zone).lower().rstrip(".")
    if domain.startswith("*."):
        domain = domain[2:]
    return domain == zone or domain.endswith("." + zone)


def _domain_errors(where, value):
    if not isinstance(value, str) or not _DOMAIN_RE.match(value.rstrip(".").lower()) or len(value) > 253:
        return [f"{where}: {value!r} is not a domain name (app.example.com)"]
    return []


def validate(params, region=None, prefix=""):
    """Every rule the module options break, naming each variable with ``prefix``."""

    def var(name):
        return f"{prefix}{name}"

    errors = []
    zone = params.get("zone")
    zone_errors = _domain_errors(var("zone"), zone)
    if zone and str(zone).startswith("*."):
        zone_errors.append(f"{var('zone')}: {zone!r} is a wildcard; a hosted zone is a domain")
    errors += zone_errors
    parts = params.get("parts") or list(PARTS)
    for part in parts:
        if part not in PARTS:
            errors.append(f"{var('parts')}: {part!r} is not one of {', '.join(PARTS)}")
    frontend = params.get("frontend_domain") or ""
    api = params.get("api_domain") or ""
    names = []
    if frontend:
        names.append(("frontend_domain", frontend))
        for index, name in enumerate(params.get("frontend_alternative_names") or []):
            names.append((f"frontend_alternative_names[{index}]", name))
    if api:
        names.append(("api_domain", api))
    for key, value in names:
        found = _domain_errors(var(key), value)
        errors += found
        if not found and zone and not zone_errors and not in_zone(value, zone):
            errors.append(
                f"{var(key)}: {value!r} is outside the hosted zone {zone} ({var('zone')}); DNS validation and its "
                "records go in that zone"
            )
    if frontend and len(params.get("frontend_alternative_names") or []) + 1 > MAX_DOMAINS_PER_CERTIFICATE:
        errors.append(
            f"{var('frontend_alternative_names')}: a certificate holds at most {MAX_DOMAINS_PER_CERTIFICATE} names "
            "(ACM's quota), the front end's domain included"
        )
    if frontend and api and frontend.lower() == api.lower():
        errors.append(f"{var('api_domain')}: {api!r} is also {var('frontend_domain')}; they need their own names")
    price = params.get("frontend_price_class", "PriceClass_100")
    if price not in PRICE_CLASSES:
        errors.append(f"{var('frontend_price_class')}: {price!r} is not one of {', '.join(PRICE_CLASSES)}")
    tls = params.get("frontend_minimum_protocol_version", "TLSv1.2_2021")
    if tls not in TLS_POLICIES:
        errors.append(
            f"{var('frontend_minimum_protocol_version')}: {tls!r} is not a TLS 1.2+ security policy CloudFront "
            f"offers ({', '.join(TLS_POLICIES)})"
        )
    root = params.get("frontend_default_root_object", "index.html")
    if root is not None and root != "":
        if str(root).startswith("/"):
            errors.append(
                f"{var('frontend_default_root_object')}: {root!r} starts with /; CloudFront takes the object name "
                "alone (index.html)"
            )
        elif not _ROOT_OBJECT_RE.match(str(root)):
            errors.append(
                f"{var('frontend_default_root_object')}: {root!r} is not an object name (at most 255 characters)"
            )
    for index, code in enumerate(params.get("frontend_spa_error_codes") or []):
        if code not in ERROR_CODES:
            errors.append(
                f"{var('frontend_spa_error_codes')}[{index}]: {code!r} is not a code CloudFront can customize "
                f"({', '.join(str(c) for c in ERROR_CODES)})"
            )
    waf = params.get("frontend_waf_acl_arn") or ""
    if waf and _REGIONAL_WAF_RE.match(waf):
        errors.append(
            f"{var('frontend_waf_acl_arn')}: {waf!r} is a REGIONAL web ACL; CloudFront takes a CLOUDFRONT (global) one "
            "in us-east-1"
        )
    elif waf and not _CLOUDFRONT_WAF_RE.match(waf):
        errors.append(
            f"{var('frontend_waf_acl_arn')}: {waf!r} is not a CLOUDFRONT web ACL ARN (arn:aws:wafv2:us-east-1:...:global/webacl/...)"
        )
    retention = params.get("frontend_log_retention_days", 90)
    if not isinstance(retention, int) or isinstance(retention, bool) or retention < 1:
        errors.append(f"{var('frontend_log_retention_days')}: {retention!r} must be 1 day or more")
    path = params.get("api_health_check_path", "/health")
    if not isinstance(path, str) or not path.startswith("/") or " " in path or len(path) > 255:
        errors.append(
            f"{var('api_health_check_path')}: {path!r} must be a path starting with / (at most 255 characters)"
        )
    interval = params.get("api_health_check_interval", 30)
    if interval not in HEALTH_CHECK_INTERVALS:
        errors.append(
            f"{var('api_health_check_interval')}: {interval!r} must be 10 or 30 seconds (Route 53's intervals)"
        )
    threshold = params.get("api_health_check_failure_threshold", 3)
    if not isinstance(threshold, int) or isinstance(threshold, bool) or not 1 <= threshold <= 10:
        errors.append(f"{var('api_health_check_failure_threshold')}: {threshold!r} must be 1 to 10")
    lb = params.get("api_load_balancer") or ""
    if lb and not _LB_NAME_RE.match(lb):
        errors.append(f"{var('api_load_balancer')}: {lb!r} is not a load balancer name (1-32 letters, digits, hyphens)")
    dr_region = params.get("dr_region") or ""
    if dr_region and not REGION_RE.match(dr_region):
        errors.append(f"{var('dr_region')}: {dr_region!r} is not a region name (us-west-2)")
    elif dr_region and region and dr_region == region:
        errors.append(
            f"{var('dr_region')}: {dr_region} is this host's own region; the failover record's secondary is the DR "
            "region's load balancer"
        )
    for key in params.get("tags") or {}:
        if str(key).startswith("aws:"):
            errors.append(f"{var('tags')}: key {key!r} uses the aws: prefix, which AWS reserves")
    return errors


def distribution_config(p, names, bucket_region, oac_id, certificate_arn, logs_bucket, caller_reference):
    """The front end's DistributionConfig as CreateDistribution takes it (every field this module owns)."""
    aliases = [p["frontend_domain"], *(p.get("frontend_alternative_names") or [])]
    errors = []
    if p.get("frontend_spa"):
        errors = [
            {
                "ErrorCode": code,
                "ResponsePagePath": "/" + (p.get("frontend_default_root_object") or "index.html"),
                "ResponseCode": "200",
                "ErrorCachingMinTTL": 10,
            }
            for code in p.get("frontend_spa_error_codes") or [403, 404]
        ]
    origin = "frontend-s3"
    config = {
        "CallerReference": caller_reference,
        "Aliases": {"Quantity": len(aliases), "Items": aliases},
        "DefaultRootObject": p.get("frontend_default_root_object") or "",
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": origin,
                    "DomainName": f"{names.frontend_bucket}.s3.{bucket_region}.amazonaws.com",
                    "OriginPath": "",
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                    "OriginAccessControlId": oac_id,
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": origin,
            "ViewerProtocolPolicy": "redirect-to-https",
            "AllowedMethods": {
                "Quantity": 2,
                "Items": ["GET", "HEAD"],
                "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]},
            },
            "Compress": True,
            "CachePolicyId": CACHING_OPTIMIZED,
        },
        "CustomErrorResponses": {"Quantity": len(errors), "Items": errors},
        "Comment": names.distribution_comment,
        "Logging": {
            "Enabled": bool(logs_bucket),
            "IncludeCookies": False,
            "Bucket": f"{logs_bucket}.s3.amazonaws.com" if logs_bucket else "",
            "Prefix": "cloudfront/" if logs_bucket else "",
        },
        "PriceClass": p.get("frontend_price_class") or "PriceClass_100",
        "Enabled": True,
        "ViewerCertificate": {
            "ACMCertificateArn": certificate_arn,
            "SSLSupportMethod": "sni-only",
            "MinimumProtocolVersion": p.get("frontend_minimum_protocol_version") or "TLSv1.2_2021",
        },
        "WebACLId": p.get("frontend_waf_acl_arn") or "",
        "HttpVersion": "http2and3",
        "IsIPV6Enabled": True,
    }
    return config


def project(config):
    """The fields of a DistributionConfig this module owns, in one comparable form (what CloudFront answers adds
    defaults and spells empty lists without Items)."""
    config = config or {}
    origins = (config.get("Origins") or {}).get("Items") or []
    origin = origins[0] if origins else {}
    behavior = config.get("DefaultCacheBehavior") or {}
    viewer = config.get("ViewerCertificate") or {}
    logging = config.get("Logging") or {}
    return {
        "aliases": sorted((config.get("Aliases") or {}).get("Items") or []),
        "root": config.get("DefaultRootObject") or "",
        "origin": (
            origin.get("Id"),
            origin.get("DomainName"),
            origin.get("OriginAccessControlId") or "",
            len(origins),
        ),
        "behavior": (
            behavior.get("TargetOriginId"),
            behavior.get("ViewerProtocolPolicy"),
            tuple(sorted((behavior.get("AllowedMethods") or {}).get("Items") or [])),
            bool(behavior.get("Compress")),
            behavior.get("CachePolicyId") or "",
        ),
        "errors": sorted(
            (int(e.get("ErrorCode")), e.get("ResponsePagePath") or "", str(e.get("ResponseCode") or ""))
            for e in (config.get("CustomErrorResponses") or {}).get("Items") or []
        ),
        "logging": (bool(logging.get("Enabled")), logging.get("Bucket") or "", logging.get("Prefix") or "")
        if logging.get("Enabled")
        else (False, "", ""),
        "price_class": config.get("PriceClass"),
        "enabled": bool(config.get("Enabled")),
        "certificate": (
            viewer.get("ACMCertificateArn") or "",
            viewer.get("SSLSupportMethod") or "",
            viewer.get("MinimumProtocolVersion") or "",
        ),
        "waf": config.get("WebACLId") or "",
        "http_version": config.get("HttpVersion"),
        "ipv6": bool(config.get("IsIPV6Enabled")),
    }
