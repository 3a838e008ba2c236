# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The public hosted zone: found by name (created when missing and allowed), its records read once, and the
change batches the certificates' validation records and the edge records go in (waited until INSYNC)."""

from __future__ import annotations

try:
    from botocore.exceptions import ClientError
except ImportError:
    pass

from .._storage import state as storage_state
from ..platform import ReconcileError
from ..platform import wait_for
from . import spec as sp
from . import state as st


class HostedZone:
    def __init__(self, owner):
        self.o = owner

    def read(self):
        o = self.o
        o.zone = st.find_zone(o.c["route53"], o.p["zone"])
        if o.zone:
            o.records = st.zone_records(o.c["route53"], o.zone["Id"])

    def converge(self):
        o = self.o
        if o.zone:
            return
        name = sp.fqdn(o.p["zone"])
        if not o.p.get("create_zone"):
            raise ReconcileError(
                f"{o.var('zone')}: no public hosted zone {name} in this account ({o.var('create_zone')} is off)"
            )
        if not o.changes.add(f"create hosted zone {name}"):
            return
        route53 = o.c["route53"]
        try:
            created = route53.create_hosted_zone(
                Name=name,
                CallerReference=f"{o.names.base}-{name}",
                HostedZoneConfig={"Comment": f"{o.names.base} edge", "PrivateZone": False},
                aws_retry=True,
            )
            o.zone = created["HostedZone"]
        except ClientError as error:
            if storage_state.error_code(error) != "HostedZoneAlreadyExists":
                raise
            o.zone = st.find_zone(route53, o.p["zone"])  # a create whose response was lost
        zone_id = o.zone["Id"].rsplit("/", 1)[-1]
        tags = o.tags(name.rstrip("."))
        route53.change_tags_for_resource(
            ResourceType="hostedzone",
            ResourceId=zone_id,
            AddTags=[{"Key": k, "Value": v} for k, v in tags.items()],
            aws_retry=True,
        )

    def change_records(self, changes, comment):
        o = self.o
        route53 = o.c["route53"]
        change = route53.change_resource_record_sets(
            HostedZoneId=o.zone["Id"], ChangeBatch={"Comment": comment, "Changes": changes}, aws_retry=True
        )["ChangeInfo"]
        for item in changes:
            record = item["ResourceRecordSet"]
            o.records[
                (
                    record["Name"].lower() if record["Name"].endswith(".") else sp.fqdn(record["Name"]),
                    record["Type"],
                    record.get("SetIdentifier"),
                )
            ] = record
        if o.p["wait"]:
            wait_for(
                lambda: route53.get_change(Id=change["Id"], aws_retry=True)["ChangeInfo"]["Status"] == "INSYNC",
                o.p["wait_timeout"],
                f"Route 53 to apply the {comment} records",
                delay=1.0,
            )
