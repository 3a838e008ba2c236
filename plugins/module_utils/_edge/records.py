# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Route 53 records: alias records for the front end (A and AAAA to CloudFront) and the API (to the load
balancer), or where the DR region has a load balancer, a failover pair (PRIMARY with a health check on the
primary's health URL, SECONDARY to the DR region's load balancer); one change batch."""

from __future__ import annotations

from ..platform import client_token
from . import spec as sp
from . import state as st


class Records:
    def __init__(self, owner):
        self.o = owner

    def read(self):
        o = self.o
        name = o.p.get("api_load_balancer") or o.names.load_balancer
        o.load_balancers[o.region] = st.find_load_balancer(o.c["elbv2"], name)
        if o.p.get("dr_region"):
            o.load_balancers[o.p["dr_region"]] = st.find_load_balancer(o.c["elbv2_dr"], name)
        primary = o.load_balancers.get(o.region)
        if primary and o.load_balancers.get(o.p.get("dr_region")):
            o.health_check = st.find_health_check(o.c["route53"], primary["DNSName"], o.p["api_health_check_path"])

    @staticmethod
    def _alias(name, kind, target_zone, target_dns, evaluate):
        return {
            "Name": sp.fqdn(name),
            "Type": kind,
            "AliasTarget": {
                "HostedZoneId": target_zone,
                "DNSName": sp.fqdn(target_dns),
                "EvaluateTargetHealth": evaluate,
            },
        }

    def desired(self):
        o = self.o
        records = []
        p = o.p
        if p.get("frontend_domain"):
            target = (o.distribution or {}).get("DomainName")
            if target:
                for name in [p["frontend_domain"], *(p.get("frontend_alternative_names") or [])]:
                    for kind in ("A", "AAAA"):
                        records.append(self._alias(name, kind, sp.CLOUDFRONT_ZONE_ID, target, False))
        if p.get("api_domain"):
            primary = o.load_balancers.get(o.region)
            secondary = o.load_balancers.get(p.get("dr_region"))
            if primary is None:
                o.warnings.append(
                    f"{o.var('api_domain')}: no load balancer {p.get('api_load_balancer') or o.names.load_balancer} in "
                    f"{o.region} yet (converge the cluster tier); the {p['api_domain']} record is left alone"
                )
            elif secondary is None:
                records.append(
                    self._alias(p["api_domain"], "A", primary["CanonicalHostedZoneId"], primary["DNSName"], True)
                )
            else:
                check_id = (o.health_check or {}).get("Id") or sp.PENDING
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

    def converge(self):
        o = self.o
        self._health_check()
        changes = []
        for record in self.desired():
            key = (record["Name"].lower(), record["Type"], record.get("SetIdentifier"))
            if not self._same(o.records.get(key), record):
                changes.append({"Action": "UPSERT", "ResourceRecordSet": record})
        # A plain API record gives way to the failover pair, and the pair to a plain record: what is not desired
        # under the API's name goes, first (Route 53 refuses a plain record beside a failover pair).
        if o.p.get("api_domain") and o.load_balancers.get(o.region):
            api = sp.fqdn(o.p["api_domain"])
            desired_keys = {(r["Name"].lower(), r["Type"], r.get("SetIdentifier")) for r in self.desired()}
            for key, record in sorted(o.records.items(), key=lambda item: str(item[0])):
                if key[0] == api and key[1] == "A" and key not in desired_keys:
                    changes.insert(0, {"Action": "DELETE", "ResourceRecordSet": record})
        o.record_changes = changes
        if not changes:
            return
        shown = ", ".join(
            f"{c['Action'].lower()} {c['ResourceRecordSet']['Name']} {c['ResourceRecordSet']['Type']}"
            + (f" {c['ResourceRecordSet']['Failover']}" if c["ResourceRecordSet"].get("Failover") else "")
            for c in changes
        )
        if o.changes.add(f"zone {sp.fqdn(o.p['zone'])}: {shown}"):
            o.zone_part.change_records(changes, "edge records")

    def _health_check(self):
        o = self.o
        primary = o.load_balancers.get(o.region)
        if not (primary and o.load_balancers.get(o.p.get("dr_region"))) or o.health_check:
            return
        path = o.p["api_health_check_path"]
        if not o.changes.add(f"create Route 53 health check https://{primary['DNSName']}{path}"):
            return
        route53 = o.c["route53"]
        created = route53.create_health_check(
            CallerReference=client_token(),
            HealthCheckConfig={
                "Type": "HTTPS",
                "FullyQualifiedDomainName": primary["DNSName"],
                "ResourcePath": path,
                "Port": 443,
                "RequestInterval": o.p["api_health_check_interval"],
                "FailureThreshold": o.p["api_health_check_failure_threshold"],
            },
            aws_retry=True,
        )["HealthCheck"]
        o.health_check = created
        tags = o.tags(o.names.health_check)
        route53.change_tags_for_resource(
            ResourceType="healthcheck",
            ResourceId=created["Id"],
            AddTags=[{"Key": k, "Value": v} for k, v in tags.items()],
            aws_retry=True,
        )
