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

The reconciler reads and holds the state, and builds the diff and the result; its parts converge: ``zone.py``
(the hosted zone and its change batches), ``certificates.py``, ``frontend.py`` (buckets, origin access
control, distribution), ``records.py`` (the alias records, the failover pair and its health check).
"""

from __future__ import annotations

import json

from ..platform import Changes
from ..platform import identity_tags
from ..platform import partition_for
from ..platform import resource_tags
from . import spec as sp
from . import state as st
from .certificates import Certificates
from .frontend import Frontend
from .records import Records
from .zone import HostedZone

PENDING = sp.PENDING


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
        self.zone_part = HostedZone(self)
        self.certificate_part = Certificates(self)
        self.frontend_part = Frontend(self)
        self.records_part = Records(self)

    @property
    def check_mode(self):
        return self.changes.check_mode

    def tags(self, name, **extra):
        return resource_tags(self.identity, self.p.get("tags"), name=name, **extra)

    def _frontend_wanted(self):
        return "frontend" in self.parts and self.p.get("frontend_domain")

    # -- reads ----------------------------------------------------------------------------------------------------

    def read(self):
        self.account = self.c["sts"].get_caller_identity(aws_retry=True)["Account"]
        self.zone_part.read()
        self.certificate_part.read()
        if self._frontend_wanted():
            self.frontend_part.read()
        if "dns" in self.parts and self.p.get("api_domain"):
            self.records_part.read()

    # -- views ------------------------------------------------------------------------------------------------------

    def before(self):
        view = {"zone": self.zone["Name"] if self.zone else None}
        view["certificates"] = {
            role: ({"arn": c["arn"], "status": c["status"]} if c["arn"] else None)
            for role, c in self.certificates.items()
        }
        if self.distribution_config:
            view["distribution"] = sp.project(self.distribution_config)
        elif self._frontend_wanted():
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
        if self._frontend_wanted():
            view["distribution"] = sp.project(self.frontend_part.desired_config())
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
        self.zone_part.converge()
        if "certificates" in self.parts or "frontend" in self.parts:
            self.certificate_part.converge()
        if self._frontend_wanted():
            self.frontend_part.converge()
        if "dns" in self.parts:
            self.records_part.converge()

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
