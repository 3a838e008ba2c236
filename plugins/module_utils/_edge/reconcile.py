# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Converge the edge of one environment, in the order AWS needs:

1. the public hosted zone (found by name, created when missing and allowed);
2. ACM certificates with DNS validation - the front end's in us-east-1 (CloudFront takes no other), the load
   balancer's in the region - their validation CNAMEs in the zone, then a bounded wait until ISSUED;
3. the front end: a private bucket and a bucket for CloudFront's access logs (the storage tier's converger),
   an origin access control, the distribution (created, or updated with the ETag only when the fields this
   module owns differ: an unchanged distribution gets no UpdateDistribution), then the bucket policy that lets
   only this distribution read;
4. Route 53: alias records for the front end (A and AAAA to CloudFront) and the API (to the load balancer), or
   where the DR region has a load balancer, a failover pair (PRIMARY with a health check on the primary's
   health URL, SECONDARY to the DR region's load balancer); one change batch, waited until INSYNC.
"""

from __future__ import annotations

import json

try:
    from botocore.exceptions import ClientError
except ImportError:
    pass

from .._storage import spec as storage_spec
from .._storage import state as storage_state
from .._storage.reconcile import BucketConverger
from .._storage.reconcile import Desired
from ..platform import Changes
from ..platform import ReconcileError
from ..platform import client_token
from ..platform import identity_tags
from ..platform import partition_for
from ..platform import resource_tags
from ..platform import wait_for
from . import spec as sp
from . import state as st

PENDING = "<pending>"


class EdgeReconciler:
    def var(self, option):
        """An option's name as the user wrote it (the role's variable, with ``variable_prefix``)."""
        return f"{self.p.get('variable_prefix') or ''}{option}"

    def __init__(self, params, region, clients, check_mode):
        self.p = params
        self.region = region
        self.c = clients
        self.changes = Changes(check_mode)
        self.warnings = []
        self.partition = partition_for(region)
        self.names = sp.Names(params["platform"], params["environment"])
        self.identity = identity_tags(params["platform"], params["environment"], st.COMPONENT)
        self.parts = params.get("parts") or list(sp.PARTS)
        self.account = None
        self.zone = None
        self.records = {}
        self.certificates = {}  # role (frontend | api) -> {"arn", "status", "domain", "records", "region"}
        self.oac = None
        self.distribution = None  # summary
        self.distribution_config = None
        self.etag = None
        self.buckets = {}  # name -> BucketConverger
        self.load_balancers = {}  # region -> description
        self.health_check = None
        self.before_snapshot = {}
        self.record_changes = []

    @property
    def check_mode(self):
        return self.changes.check_mode

    def tags(self, name, **extra):
        return resource_tags(self.identity, self.p.get("tags"), name=name, **extra)

    def wanted_certificates(self):
        found = {}
        if self.p.get("frontend_domain"):
            found["frontend"] = (
                self.p["frontend_domain"],
                list(self.p.get("frontend_alternative_names") or []),
                sp.CLOUDFRONT_REGION,
            )
        if self.p.get("api_domain") and self.p.get("api_certificate"):
            found["api"] = (self.p["api_domain"], [], self.region)
            if self.p.get("dr_region"):
                # The DR region's load balancer serves the same name when the failover record points at it.
                found["api_dr"] = (self.p["api_domain"], [], self.p["dr_region"])
        return found

    def acm(self, region):
        if region == self.region:
            return self.c["acm"]
        if region == sp.CLOUDFRONT_REGION:
            return self.c["acm_cloudfront"]
        return self.c["acm_dr"]

    # -- reads ----------------------------------------------------------------------------------------------------

    def read(self):
        self.account = self.c["sts"].get_caller_identity(aws_retry=True)["Account"]
        self.zone = st.find_zone(self.c["route53"], self.p["zone"])
        if self.zone:
            self.records = st.zone_records(self.c["route53"], self.zone["Id"])
        for role, (domain, others, region) in self.wanted_certificates().items():
            found = st.find_certificate(self.acm(region), domain, others, self.p["platform"], self.p["environment"])
            self.certificates[role] = {
                "arn": found["CertificateArn"] if found else None,
                "status": found["Status"] if found else None,
                "domain": domain,
                "others": others,
                "region": region,
                "records": st.validation_records(found) if found else None,
            }
        if "frontend" in self.parts and self.p.get("frontend_domain"):
            self._read_frontend()
        if "dns" in self.parts and self.p.get("api_domain"):
            name = self.p.get("api_load_balancer") or self.names.load_balancer
            self.load_balancers[self.region] = st.find_load_balancer(self.c["elbv2"], name)
            if self.p.get("dr_region"):
                self.load_balancers[self.p["dr_region"]] = st.find_load_balancer(self.c["elbv2_dr"], name)
            primary = self.load_balancers.get(self.region)
            if primary and self.load_balancers.get(self.p.get("dr_region")):
                self.health_check = st.find_health_check(
                    self.c["route53"], primary["DNSName"], self.p["api_health_check_path"]
                )

    def _read_frontend(self):
        cf = self.c["cloudfront"]
        self.oac = st.find_origin_access_control(cf, self.names.origin_access_control)
        aliases = [self.p["frontend_domain"], *(self.p.get("frontend_alternative_names") or [])]
        self.distribution = st.find_distribution(cf, self.names.distribution_comment, aliases)
        if self.distribution:
            if self.distribution.get("Comment") != self.names.distribution_comment:
                raise ReconcileError(
                    f"{self.var('frontend_domain')}: distribution {self.distribution['Id']} (not this module's) already serves "
                    f"{', '.join(aliases)}; CloudFront lets one distribution hold an alternate domain name"
                )
            self.distribution_config, self.etag = st.distribution_config(cf, self.distribution["Id"])
        targets = {self.names.frontend_bucket: self.c["s3"], self.names.frontend_logs_bucket: self.c["s3"]}
        owned = storage_state.owned_bucket_names(self.c["s3"])
        states = storage_state.read_buckets(targets, owned, self.c["s3"])
        for name, state in states.items():
            self.buckets[name] = BucketConverger(self._bucket(name), state, self.c["s3"], self.changes)

    def _bucket(self, name):
        d = Desired(name, self.region, "frontend" if name == self.names.frontend_bucket else "frontend logs")
        if name == self.names.frontend_bucket:
            d.versioning = True
            d.lifecycle = [
                {
                    "ID": "noncurrent",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
                },
                {
                    "ID": "abort-incomplete-multipart-uploads",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                },
            ]
        else:
            # CloudFront's standard logs are written with ACLs: the log bucket cannot be "bucket owner enforced".
            d.ownership = "BucketOwnerPreferred"
            d.versioning = False
            d.lifecycle = [
                {
                    "ID": "expire",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "Expiration": {"Days": self.p["frontend_log_retention_days"]},
                }
            ]
        d.policy = storage_spec.bucket_policy(self.partition, name, extra_statements=self._oac_statement(name))
        d.tags = self.tags(name, **{"stackops:purpose": d.purpose})
        return d

    def _oac_statement(self, name):
        if name != self.names.frontend_bucket:
            return []
        arn = self.distribution["ARN"] if self.distribution else None
        if not arn:
            return []
        # "Restricting access to an Amazon S3 origin": only this distribution, through its origin access control.
        return [
            {
                "Sid": "CloudFrontOriginAccessControl",
                "Effect": "Allow",
                "Principal": {"Service": "cloudfront.amazonaws.com"},
                "Action": "s3:GetObject",
                "Resource": f"arn:{self.partition}:s3:::{name}/*",
                "Condition": {"StringEquals": {"AWS:SourceArn": arn}},
            }
        ]

    # -- views ------------------------------------------------------------------------------------------------------

    def before(self):
        view = {"zone": self.zone["Name"] if self.zone else None}
        view["certificates"] = {
            role: ({"arn": c["arn"], "status": c["status"]} if c["arn"] else None)
            for role, c in self.certificates.items()
        }
        if self.distribution_config:
            view["distribution"] = sp.project(self.distribution_config)
        elif "frontend" in self.parts and self.p.get("frontend_domain"):
            view["distribution"] = None
        view["records"] = sorted(
            f"{name} {kind}{' ' + ident if ident else ''}"
            for (name, kind, ident) in self.records
            if kind in ("A", "AAAA", "CNAME")
        )
        return view

    def after(self):
        view = {"zone": sp.fqdn(self.p["zone"])}
        view["certificates"] = {
            role: {
                "arn": c["arn"] or PENDING,
                "status": "ISSUED" if not self.check_mode else (c["status"] or "PENDING_VALIDATION"),
            }
            for role, c in self.certificates.items()
        }
        if "frontend" in self.parts and self.p.get("frontend_domain"):
            view["distribution"] = sp.project(self._desired_config())
        names = set(self.records)
        for change in self.record_changes:
            record = change["ResourceRecordSet"]
            names.add((record["Name"].lower(), record["Type"], record.get("SetIdentifier")))
        view["records"] = sorted(
            f"{name} {kind}{' ' + ident if ident else ''}"
            for (name, kind, ident) in names
            if kind in ("A", "AAAA", "CNAME")
        )
        return view

    # -- converge -----------------------------------------------------------------------------------------------------

    def converge(self):
        self.read()
        self.before_snapshot = self.before()
        self._zone()
        if "certificates" in self.parts or "frontend" in self.parts:
            self._certificates()
        if "frontend" in self.parts and self.p.get("frontend_domain"):
            self._frontend()
        if "dns" in self.parts:
            self._dns()

    def _zone(self):
        if self.zone:
            return
        name = sp.fqdn(self.p["zone"])
        if not self.p.get("create_zone"):
            raise ReconcileError(
                f"{self.var('zone')}: no public hosted zone {name} in this account ({self.var('create_zone')} is off)"
            )
        if not self.changes.add(f"create hosted zone {name}"):
            return
        route53 = self.c["route53"]
        try:
            created = route53.create_hosted_zone(
                Name=name,
                CallerReference=f"{self.names.base}-{name}",
                HostedZoneConfig={"Comment": f"{self.names.base} edge", "PrivateZone": False},
                aws_retry=True,
            )
            self.zone = created["HostedZone"]
        except ClientError as error:
            if storage_state.error_code(error) != "HostedZoneAlreadyExists":
                raise
            self.zone = st.find_zone(route53, self.p["zone"])  # a create whose response was lost
        zone_id = self.zone["Id"].rsplit("/", 1)[-1]
        tags = self.tags(name.rstrip("."))
        route53.change_tags_for_resource(
            ResourceType="hostedzone",
            ResourceId=zone_id,
            AddTags=[{"Key": k, "Value": v} for k, v in tags.items()],
            aws_retry=True,
        )

    def _certificates(self):
        for role, cert in self.certificates.items():
            if cert["arn"]:
                continue
            names = ", ".join([cert["domain"], *cert["others"]])
            if not self.changes.add(f"request ACM certificate for {names} in {cert['region']} (DNS validation)"):
                continue
            kwargs = dict(
                DomainName=cert["domain"],
                ValidationMethod="DNS",
                IdempotencyToken=sp.token(self.names.base, role, names),
                Tags=[{"Key": k, "Value": v} for k, v in self.tags(f"{self.names.base}-{role}").items()],
            )
            if cert["others"]:
                kwargs["SubjectAlternativeNames"] = [cert["domain"], *cert["others"]]
            cert["arn"] = self.acm(cert["region"]).request_certificate(aws_retry=True, **kwargs)["CertificateArn"]
            cert["status"] = "PENDING_VALIDATION"
        # ACM makes the validation records a few seconds after the request.
        for cert in self.certificates.values():
            if cert["arn"] and not cert["records"] and not self.check_mode:
                acm = self.acm(cert["region"])
                cert["records"] = wait_for(
                    lambda acm=acm, cert=cert: st.validation_records(st.describe_certificate(acm, cert["arn"])),
                    min(self.p["wait_timeout"], 120),
                    f"ACM to make the validation records of {cert['domain']}",
                    delay=1.0,
                )
        changes = []
        for cert in self.certificates.values():
            for name, value in cert["records"] or []:
                current = self.records.get((name.lower(), "CNAME", None))
                if current and [r["Value"] for r in current.get("ResourceRecords") or []] == [value]:
                    continue
                changes.append(
                    {
                        "Action": "UPSERT",
                        "ResourceRecordSet": {
                            "Name": name,
                            "Type": "CNAME",
                            "TTL": 300,
                            "ResourceRecords": [{"Value": value}],
                        },
                    }
                )
        if changes and self.changes.add(
            f"zone {sp.fqdn(self.p['zone'])}: DNS validation records {', '.join(c['ResourceRecordSet']['Name'] for c in changes)}"
        ):
            self._change_records(changes, "ACM DNS validation")
        pending = [c for c in self.certificates.values() if c["arn"] and c["status"] != "ISSUED"]
        if pending and not self.check_mode and self.p["wait"]:
            for cert in pending:
                acm = self.acm(cert["region"])

                def issued(acm=acm, cert=cert):
                    status = st.describe_certificate(acm, cert["arn"])["Status"]
                    if status in ("FAILED", "VALIDATION_TIMED_OUT", "REVOKED"):
                        raise ReconcileError(
                            f"certificate for {cert['domain']} is {status}; delete it and converge again"
                        )
                    return status == "ISSUED"

                wait_for(
                    issued, self.p["wait_timeout"], f"the certificate for {cert['domain']} to be issued", delay=2.0
                )
                cert["status"] = "ISSUED"

    def _change_records(self, changes, comment):
        route53 = self.c["route53"]
        change = route53.change_resource_record_sets(
            HostedZoneId=self.zone["Id"], ChangeBatch={"Comment": comment, "Changes": changes}, aws_retry=True
        )["ChangeInfo"]
        for item in changes:
            record = item["ResourceRecordSet"]
            self.records[
                (
                    record["Name"].lower() if record["Name"].endswith(".") else sp.fqdn(record["Name"]),
                    record["Type"],
                    record.get("SetIdentifier"),
                )
            ] = record
        if self.p["wait"]:
            wait_for(
                lambda: route53.get_change(Id=change["Id"], aws_retry=True)["ChangeInfo"]["Status"] == "INSYNC",
                self.p["wait_timeout"],
                f"Route 53 to apply the {comment} records",
                delay=1.0,
            )

    # -- front end -------------------------------------------------------------------------------------------------------

    def _desired_config(self):
        cert = self.certificates.get("frontend") or {}
        reference = (self.distribution_config or {}).get("CallerReference") or self.names.caller_reference
        return sp.distribution_config(
            self.p,
            self.names,
            self.region,
            (self.oac or {}).get("Id") or PENDING,
            cert.get("arn") or PENDING,
            self.names.frontend_logs_bucket if self.p.get("frontend_logging") else None,
            reference,
        )

    def _frontend(self):
        logs = self.buckets[self.names.frontend_logs_bucket]
        content = self.buckets[self.names.frontend_bucket]
        problems = logs.problems() + content.problems()
        if problems:
            raise ReconcileError("cannot converge the front end's buckets: " + "; ".join(problems))
        if self.p.get("frontend_logging"):
            logs.converge()
        self._origin_access_control()
        self._distribution()
        # The bucket policy names the distribution: the bucket is converged once the distribution exists.
        content.d.policy = storage_spec.bucket_policy(
            self.partition, content.d.name, extra_statements=self._oac_statement(content.d.name)
        )
        content.converge()

    def _origin_access_control(self):
        if self.oac:
            return
        name = self.names.origin_access_control
        if not self.changes.add(f"create CloudFront origin access control {name} (S3, sigv4, always sign)"):
            return
        cf = self.c["cloudfront"]
        try:
            created = cf.create_origin_access_control(
                OriginAccessControlConfig={
                    "Name": name,
                    "Description": f"{self.names.base} front end bucket",
                    "SigningProtocol": "sigv4",
                    "SigningBehavior": "always",
                    "OriginAccessControlOriginType": "s3",
                },
                aws_retry=True,
            )
            self.oac = created["OriginAccessControl"]
        except ClientError as error:
            if storage_state.error_code(error) != "OriginAccessControlAlreadyExists":
                raise
            self.oac = st.find_origin_access_control(cf, name)  # a create whose response was lost

    def _distribution(self):
        cf = self.c["cloudfront"]
        desired = self._desired_config()
        if self.distribution is None:
            sentence = (
                f"create CloudFront distribution for {', '.join(desired['Aliases']['Items'])} "
                f"({desired['PriceClass']}, {desired['ViewerCertificate']['MinimumProtocolVersion']}"
                f"{', WAF' if desired['WebACLId'] else ''})"
            )
            if not self.changes.add(sentence):
                return
            tags = self.tags(self.names.distribution_comment)
            try:
                created = cf.create_distribution_with_tags(
                    DistributionConfigWithTags={
                        "DistributionConfig": desired,
                        "Tags": {"Items": [{"Key": k, "Value": v} for k, v in tags.items()]},
                    },
                    aws_retry=True,
                )["Distribution"]
            except ClientError as error:
                if storage_state.error_code(error) != "DistributionAlreadyExists":
                    raise
                # The CallerReference is ours: a create whose response was lost.
                created = st.find_distribution(cf, self.names.distribution_comment, desired["Aliases"]["Items"])
            self.distribution = {"Id": created["Id"], "ARN": created["ARN"], "DomainName": created["DomainName"]}
            self._wait_deployed()
            return
        current = sp.project(self.distribution_config)
        wanted = sp.project(desired)
        if current == wanted:
            return
        differs = sorted(k for k in wanted if current.get(k) != wanted.get(k))
        if not self.changes.add(f"update CloudFront distribution {self.distribution['Id']}: {', '.join(differs)}"):
            return
        merged = dict(self.distribution_config)
        merged.update({k: v for k, v in desired.items() if k != "CallerReference"})
        merged["Origins"] = desired["Origins"]
        try:
            cf.update_distribution(
                Id=self.distribution["Id"], IfMatch=self.etag, DistributionConfig=merged, aws_retry=True
            )
        except ClientError as error:
            if storage_state.error_code(error) == "PreconditionFailed":
                raise ReconcileError(
                    f"distribution {self.distribution['Id']} changed while this run read it (its ETag moved); run again"
                ) from None
            raise
        self._wait_deployed()

    def _wait_deployed(self):
        if not self.p["wait"]:
            return
        cf = self.c["cloudfront"]
        wait_for(
            lambda: (
                cf.get_distribution(Id=self.distribution["Id"], aws_retry=True)["Distribution"]["Status"] == "Deployed"
            ),
            self.p["wait_timeout"],
            f"CloudFront distribution {self.distribution['Id']} to be deployed",
            delay=2.0,
        )

    # -- DNS ---------------------------------------------------------------------------------------------------------------

    def _alias(self, name, kind, target_zone, target_dns, evaluate):
        return {
            "Name": sp.fqdn(name),
            "Type": kind,
            "AliasTarget": {
                "HostedZoneId": target_zone,
                "DNSName": sp.fqdn(target_dns),
                "EvaluateTargetHealth": evaluate,
            },
        }

    def desired_records(self):
        records = []
        p = self.p
        if p.get("frontend_domain"):
            target = (self.distribution or {}).get("DomainName")
            if target:
                for name in [p["frontend_domain"], *(p.get("frontend_alternative_names") or [])]:
                    for kind in ("A", "AAAA"):
                        records.append(self._alias(name, kind, sp.CLOUDFRONT_ZONE_ID, target, False))
        if p.get("api_domain"):
            primary = self.load_balancers.get(self.region)
            secondary = self.load_balancers.get(p.get("dr_region"))
            if primary is None:
                self.warnings.append(
                    f"{self.var('api_domain')}: no load balancer {p.get('api_load_balancer') or self.names.load_balancer} in "
                    f"{self.region} yet (converge the cluster tier); the {p['api_domain']} record is left alone"
                )
            elif secondary is None:
                records.append(
                    self._alias(p["api_domain"], "A", primary["CanonicalHostedZoneId"], primary["DNSName"], True)
                )
            else:
                check_id = (self.health_check or {}).get("Id") or PENDING
                first = self._alias(p["api_domain"], "A", primary["CanonicalHostedZoneId"], primary["DNSName"], True)
                first.update(SetIdentifier="primary", Failover="PRIMARY", HealthCheckId=check_id)
                second = self._alias(
                    p["api_domain"], "A", secondary["CanonicalHostedZoneId"], secondary["DNSName"], True
                )
                second.update(SetIdentifier="secondary", Failover="SECONDARY")
                records += [first, second]
        return records

    @staticmethod
    def _same(current, wanted):
        if current is None:
            return False
        alias = current.get("AliasTarget") or {}
        want = wanted.get("AliasTarget") or {}
        return (
            alias.get("DNSName", "").lower().rstrip(".") == want.get("DNSName", "").lower().rstrip(".")
            and alias.get("HostedZoneId") == want.get("HostedZoneId")
            and bool(alias.get("EvaluateTargetHealth")) == bool(want.get("EvaluateTargetHealth"))
            and current.get("Failover") == wanted.get("Failover")
            and current.get("HealthCheckId") == wanted.get("HealthCheckId")
        )

    def _dns(self):
        self._health_check()
        changes = []
        for record in self.desired_records():
            key = (record["Name"].lower(), record["Type"], record.get("SetIdentifier"))
            if not self._same(self.records.get(key), record):
                changes.append({"Action": "UPSERT", "ResourceRecordSet": record})
        # A plain API record gives way to the failover pair, and the pair to a plain record: what is not desired
        # under the API's name goes, first (Route 53 refuses a plain record beside a failover pair).
        if self.p.get("api_domain") and self.load_balancers.get(self.region):
            api = sp.fqdn(self.p["api_domain"])
            desired_keys = {(r["Name"].lower(), r["Type"], r.get("SetIdentifier")) for r in self.desired_records()}
            for key, record in sorted(self.records.items(), key=lambda item: str(item[0])):
                if key[0] == api and key[1] == "A" and key not in desired_keys:
                    changes.insert(0, {"Action": "DELETE", "ResourceRecordSet": record})
        self.record_changes = changes
        if not changes:
            return
        shown = ", ".join(
            f"{c['Action'].lower()} {c['ResourceRecordSet']['Name']} {c['ResourceRecordSet']['Type']}"
            + (f" {c['ResourceRecordSet']['Failover']}" if c["ResourceRecordSet"].get("Failover") else "")
            for c in changes
        )
        if self.changes.add(f"zone {sp.fqdn(self.p['zone'])}: {shown}"):
            self._change_records(changes, "edge records")

    def _health_check(self):
        primary = self.load_balancers.get(self.region)
        if not (primary and self.load_balancers.get(self.p.get("dr_region"))) or self.health_check:
            return
        path = self.p["api_health_check_path"]
        if not self.changes.add(f"create Route 53 health check https://{primary['DNSName']}{path}"):
            return
        route53 = self.c["route53"]
        created = route53.create_health_check(
            CallerReference=client_token(),
            HealthCheckConfig={
                "Type": "HTTPS",
                "FullyQualifiedDomainName": primary["DNSName"],
                "ResourcePath": path,
                "Port": 443,
                "RequestInterval": self.p["api_health_check_interval"],
                "FailureThreshold": self.p["api_health_check_failure_threshold"],
            },
            aws_retry=True,
        )["HealthCheck"]
        self.health_check = created
        tags = self.tags(self.names.health_check)
        route53.change_tags_for_resource(
            ResourceType="healthcheck",
            ResourceId=created["Id"],
            AddTags=[{"Key": k, "Value": v} for k, v in tags.items()],
            aws_retry=True,
        )

    # -- result ---------------------------------------------------------------------------------------------------------------

    def result(self):
        distribution = self.distribution or {}
        return {
            "zone_id": self.zone["Id"].rsplit("/", 1)[-1] if self.zone else None,
            "zone_name": sp.fqdn(self.p["zone"]),
            "certificates": {
                role: {"arn": c["arn"], "domain": c["domain"], "region": c["region"], "status": c["status"]}
                for role, c in self.certificates.items()
            },
            "frontend": {
                "domain": self.p.get("frontend_domain") or None,
                "bucket": self.names.frontend_bucket if self.p.get("frontend_domain") else None,
                "logs_bucket": self.names.frontend_logs_bucket if self.p.get("frontend_domain") else None,
                "distribution_id": distribution.get("Id"),
                "distribution_arn": distribution.get("ARN"),
                "distribution_domain": distribution.get("DomainName"),
                "origin_access_control_id": (self.oac or {}).get("Id"),
            },
            "api": {
                "domain": self.p.get("api_domain") or None,
                "failover": bool(
                    self.load_balancers.get(self.region) and self.load_balancers.get(self.p.get("dr_region"))
                ),
                "health_check_id": (self.health_check or {}).get("Id"),
            },
        }


def to_json(value):
    return json.dumps(value, sort_keys=True, default=str)
