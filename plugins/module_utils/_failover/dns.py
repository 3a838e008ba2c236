# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Point a Route 53 failover pair at its SECONDARY (the DR region) and keep it there; check the health check.

The edge tier makes the API's name a failover pair: PRIMARY (SetIdentifier ``primary``) aliases the primary
region's load balancer with a health check on it, SECONDARY aliases the DR region's
(https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-types.html). Route 53 answers SECONDARY
only while the health check fails. After a region failover the database writes in the DR region, so the answer
must stay on the DR region even when the primary region's load balancer answers again (it would serve the old,
now stale database). Inverting the health check would not do: an inverted check of a primary that is down counts
as healthy (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-invert.html). So the PRIMARY
record is pointed at the SECONDARY's target (the DR load balancer), without the health check: both answers are
the DR region, whatever the primary region's endpoint does. Converging the edge tier again puts the primary
region back (the failback).

The health check is read either way (GetHealthCheckStatus: healthy when more than 18% of the checkers say so,
https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html):
it tells whether the primary region's endpoint is really down, for the summary.
"""

from __future__ import annotations

from ..platform import Changes
from ..platform import Phases
from ..platform import PreconditionFailed
from ..platform import paginate
from ..platform import wait_for

HEALTHY_FRACTION = 0.18


def _fqdn(name):
    return str(name).lower().rstrip(".") + "."


def _target(record):
    alias = record.get("AliasTarget") or {}
    if alias:
        return alias.get("DNSName", "").rstrip(".").lower()
    values = [r.get("Value") for r in record.get("ResourceRecords") or []]
    return ",".join(values)


class DnsFailover:
    def __init__(self, params, clients, check_mode):
        self.p = params
        self.route53 = clients["route53"]
        self.changes = Changes(check_mode)
        self.warnings = []
        self.phases = Phases()
        self.outcome = {}

    def result(self):
        return self.outcome

    def zone_id(self):
        zone = _fqdn(self.p["zone"])
        answer = self.route53.list_hosted_zones_by_name(DNSName=zone, aws_retry=True)
        found = [
            z for z in answer.get("HostedZones", []) if z["Name"].lower() == zone and not z["Config"].get("PrivateZone")
        ]
        if not found:
            raise PreconditionFailed(f"zone: no public hosted zone {zone}")
        return found[0]["Id"].rsplit("/", 1)[-1]

    def pair(self, zone_id):
        name = _fqdn(self.p["record_name"])
        records = paginate(
            self.route53,
            "list_resource_record_sets",
            "ResourceRecordSets",
            HostedZoneId=zone_id,
            StartRecordName=name,
            StartRecordType="A",
        )
        found = {
            r.get("Failover"): r
            for r in records
            if r["Name"].lower() == name and r["Type"] == "A" and r.get("Failover")
        }
        if "PRIMARY" not in found or "SECONDARY" not in found:
            raise PreconditionFailed(
                f"record_name: {name} is not a Route 53 failover pair (PRIMARY and SECONDARY A records) in {self.p['zone']}; "
                "the edge tier makes one when the DR region has a load balancer"
            )
        return found["PRIMARY"], found["SECONDARY"]

    def health(self, check_id):
        """(checkers reporting healthy, checkers, inverted) of a health check."""
        if not check_id:
            return None
        config = self.route53.get_health_check(HealthCheckId=check_id, aws_retry=True)["HealthCheck"]
        observations = self.route53.get_health_check_status(HealthCheckId=check_id, aws_retry=True)[
            "HealthCheckObservations"
        ]
        healthy = sum(
            1 for o in observations if str((o.get("StatusReport") or {}).get("Status", "")).startswith("Success")
        )
        total = len(observations)
        raw = total > 0 and healthy / total > HEALTHY_FRACTION
        inverted = bool(config["HealthCheckConfig"].get("Inverted"))
        return {
            "id": check_id,
            "endpoint": config["HealthCheckConfig"].get("FullyQualifiedDomainName"),
            "checkers_healthy": healthy,
            "checkers": total,
            "inverted": inverted,
            "healthy": raw != inverted,
        }

    def run(self):
        name = _fqdn(self.p["record_name"])
        with self.phases.phase("preflight"):
            zone_id = self.zone_id()
            primary, secondary = self.pair(zone_id)
            check_id = primary.get("HealthCheckId")
            health = self.health(check_id)
            pinned = _target(primary) == _target(secondary)
            self.outcome = dict(
                record_name=name,
                zone_id=zone_id,
                primary_target=_target(primary),
                secondary_target=_target(secondary),
                health_check=health,
                serving_before="secondary" if pinned or (health and not health["healthy"]) else "primary",
                serving=None,
                pinned=pinned,
                already_done=pinned,
            )
            if health and health["healthy"] and not pinned:
                self.warnings.append(
                    f"{name}: the primary region's endpoint {health['endpoint']} still answers healthy "
                    f"({health['checkers_healthy']} of {health['checkers']} checkers); traffic moves to the DR region anyway"
                )
        with self.phases.phase("switch"):
            if not pinned:
                record = {
                    k: v
                    for k, v in primary.items()
                    if k not in ("HealthCheckId", "AliasTarget", "ResourceRecords", "TTL")
                }
                for key in ("AliasTarget", "ResourceRecords", "TTL"):
                    if key in secondary:
                        record[key] = secondary[key]
                if not self.changes.add(
                    f"point {name} PRIMARY at the DR region's {_target(secondary)} (was {_target(primary)}, health check "
                    f"{check_id or 'none'})"
                ):
                    self.outcome["serving"] = "secondary"
                    return
                change = self.route53.change_resource_record_sets(
                    HostedZoneId=zone_id,
                    ChangeBatch={
                        "Comment": "region failover: answer the DR region",
                        "Changes": [{"Action": "UPSERT", "ResourceRecordSet": record}],
                    },
                    aws_retry=True,
                )["ChangeInfo"]
                if self.p["wait"]:
                    wait_for(
                        lambda: (
                            self.route53.get_change(Id=change["Id"], aws_retry=True)["ChangeInfo"]["Status"] == "INSYNC"
                        ),
                        self.p["wait_timeout"],
                        f"the change of {name} to be INSYNC",
                        delay=1.0,
                    )
        with self.phases.phase("verify"):
            primary, secondary = self.pair(zone_id)
            serving = "secondary" if _target(primary) == _target(secondary) else "primary"
            self.outcome.update(serving=serving, primary_target=_target(primary), pinned=serving == "secondary")
            if serving != "secondary":
                raise PreconditionFailed(f"{name}: PRIMARY still points at {_target(primary)} after the change")
