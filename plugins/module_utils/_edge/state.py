# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Read the edge as it is: the hosted zone and its records (one paginated ListResourceRecordSets), the ACM
certificates of our domains (ListCertificates, then DescribeCertificate and tags of the candidates), the origin
access control and the distribution (ListOriginAccessControls, ListDistributions, GetDistributionConfig for its
ETag), the Route 53 health checks and the load balancers the records point at. Nothing here writes.
"""

from __future__ import annotations

from .._storage.state import absent
from ..platform import TAG_ENVIRONMENT
from ..platform import TAG_PLATFORM
from ..platform import paginate
from .spec import fqdn

COMPONENT = "edge"


def find_zone(route53, zone):
    """The public hosted zone named ``zone`` (None when there is none)."""
    name = fqdn(zone)
    found = route53.list_hosted_zones_by_name(DNSName=name, MaxItems="10", aws_retry=True)
    for candidate in found.get("HostedZones") or []:
        if candidate["Name"] == name and not (candidate.get("Config") or {}).get("PrivateZone"):
            return candidate
    return None


def zone_records(route53, zone_id):
    """``{(name, type, set identifier): record}`` of the zone."""
    records = paginate(route53, "list_resource_record_sets", "ResourceRecordSets", HostedZoneId=zone_id)
    return {(r["Name"].lower(), r["Type"], r.get("SetIdentifier")): r for r in records}


def find_certificate(acm, domain, alternative_names, platform, environment):
    """Our certificate for ``domain`` with exactly these other names (pending or issued, tagged as ours)."""
    wanted = sorted({domain.lower(), *(n.lower() for n in alternative_names)})
    summaries = paginate(
        acm,
        "list_certificates",
        "CertificateSummaryList",
        CertificateStatuses=["PENDING_VALIDATION", "ISSUED"],
    )
    for summary in summaries:
        if summary.get("DomainName", "").lower() != domain.lower():
            continue
        arn = summary["CertificateArn"]
        detail = acm.describe_certificate(CertificateArn=arn, aws_retry=True)["Certificate"]
        if detail.get("Type") != "AMAZON_ISSUED":
            continue
        names = sorted({n.lower() for n in detail.get("SubjectAlternativeNames") or [detail["DomainName"]]})
        if names != wanted:
            continue
        tags = {
            t["Key"]: t.get("Value")
            for t in acm.list_tags_for_certificate(CertificateArn=arn, aws_retry=True).get("Tags") or []
        }
        if tags.get(TAG_PLATFORM) == platform and tags.get(TAG_ENVIRONMENT) == environment:
            return detail
    return None


def describe_certificate(acm, arn):
    return acm.describe_certificate(CertificateArn=arn, aws_retry=True)["Certificate"]


def validation_records(certificate):
    """The CNAMEs ACM asks for (name, value), once it has made them (None until every domain has one)."""
    records = []
    for option in certificate.get("DomainValidationOptions") or []:
        record = option.get("ResourceRecord")
        if not record:
            return None
        records.append((record["Name"], record["Value"]))
    return sorted(set(records))


def find_origin_access_control(cloudfront, name):
    found = cloudfront.list_origin_access_controls(aws_retry=True).get("OriginAccessControlList") or {}
    for item in found.get("Items") or []:
        if item.get("Name") == name:
            return item
    return None


def find_distribution(cloudfront, comment, aliases):
    """Our distribution: the one whose comment is ours, or that serves one of our aliases."""
    summaries = paginate(cloudfront, "list_distributions", "DistributionList")
    items = []
    for page in summaries if isinstance(summaries, list) else [summaries]:
        items += page.get("Items") or [] if isinstance(page, dict) else []
    for item in items:
        served = set((item.get("Aliases") or {}).get("Items") or [])
        if item.get("Comment") == comment or served & set(aliases):
            return item
    return None


def distribution_config(cloudfront, distribution_id):
    found = cloudfront.get_distribution_config(Id=distribution_id, aws_retry=True)
    return found["DistributionConfig"], found["ETag"]


def find_load_balancer(elbv2, name):
    found = absent(lambda: elbv2.describe_load_balancers(Names=[name], aws_retry=True), "LoadBalancerNotFound")
    return found["LoadBalancers"][0] if found and found.get("LoadBalancers") else None


def find_health_check(route53, fqdn_name, path):
    for check in paginate(route53, "list_health_checks", "HealthChecks"):
        config = check.get("HealthCheckConfig") or {}
        if config.get("FullyQualifiedDomainName") == fqdn_name and config.get("ResourcePath") == path:
            return check
    return None


def discover(clients, platform, environment, zone=None):
    """The environment's edge as it is (read calls only): the front end's distribution and bucket, its
    certificate, and the zone's records that point at the distribution or at a load balancer."""
    from .spec import Names
    from .spec import project

    names = Names(platform, environment)
    found = {
        "zone_id": None,
        "zone_name": None,
        "frontend": None,
        "records": [],
    }
    cf = clients["cloudfront"]
    summary = find_distribution(cf, names.distribution_comment, [])
    if summary:
        config, etag = distribution_config(cf, summary["Id"])
        view = project(config)
        found["frontend"] = {
            "distribution_id": summary["Id"],
            "distribution_arn": summary["ARN"],
            "distribution_domain": summary["DomainName"],
            "status": summary.get("Status"),
            "etag": etag,
            "aliases": view["aliases"],
            "bucket": names.frontend_bucket,
            "logs_bucket": names.frontend_logs_bucket if view["logging"][0] else None,
            "certificate_arn": view["certificate"][0] or None,
            "minimum_protocol_version": view["certificate"][2] or None,
            "web_acl_arn": view["waf"] or None,
            "price_class": view["price_class"],
            "default_root_object": view["root"],
        }
    if zone:
        hosted = find_zone(clients["route53"], zone)
        if hosted:
            found["zone_id"] = hosted["Id"].rsplit("/", 1)[-1]
            found["zone_name"] = hosted["Name"]
            for (name, kind, ident), record in sorted(zone_records(clients["route53"], hosted["Id"]).items(), key=str):
                alias = record.get("AliasTarget")
                if kind not in ("A", "AAAA") or not alias:
                    continue
                found["records"].append(
                    {
                        "name": name,
                        "type": kind,
                        "target": alias["DNSName"].rstrip("."),
                        "failover": record.get("Failover"),
                        "set_identifier": ident,
                        "health_check_id": record.get("HealthCheckId"),
                    }
                )
    return found
