# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""ACM certificates with DNS validation: the front end's in us-east-1 (CloudFront takes no other), the load
balancer's in the region (and the DR region's), their validation CNAMEs in the zone, then a bounded wait until
ISSUED."""

from __future__ import annotations

from ..platform import ReconcileError
from ..platform import wait_for
from . import spec as sp
from . import state as st


class Certificates:
    def __init__(self, owner):
        self.o = owner

    def wanted(self):
        p, found = self.o.p, {}
        if p.get("frontend_domain"):
            found["frontend"] = (
                p["frontend_domain"],
                list(p.get("frontend_alternative_names") or []),
                sp.CLOUDFRONT_REGION,
            )
        if p.get("api_domain") and p.get("api_certificate"):
            found["api"] = (p["api_domain"], [], self.o.region)
            if p.get("dr_region"):
                # The DR region's load balancer serves the same name when the failover record points at it.
                found["api_dr"] = (p["api_domain"], [], p["dr_region"])
        return found

    def acm(self, region):
        o = self.o
        if region == o.region:
            return o.c["acm"]
        if region == sp.CLOUDFRONT_REGION:
            return o.c["acm_cloudfront"]
        return o.c["acm_dr"]

    def read(self):
        o = self.o
        for role, (domain, others, region) in self.wanted().items():
            found = st.find_certificate(self.acm(region), domain, others, o.p["platform"], o.p["environment"])
            o.certificates[role] = {
                "arn": found["CertificateArn"] if found else None,
                "status": found["Status"] if found else None,
                "domain": domain,
                "others": others,
                "region": region,
                "records": st.validation_records(found) if found else None,
            }

    def converge(self):
        self._request()
        self._validation_records()
        self._wait_issued()

    def _request(self):
        o = self.o
        for role, cert in o.certificates.items():
            if cert["arn"]:
                continue
            names = ", ".join([cert["domain"], *cert["others"]])
            if not o.changes.add(f"request ACM certificate for {names} in {cert['region']} (DNS validation)"):
                continue
            kwargs = dict(
                DomainName=cert["domain"],
                ValidationMethod="DNS",
                IdempotencyToken=sp.token(o.names.base, role, names),
                Tags=[{"Key": k, "Value": v} for k, v in o.tags(f"{o.names.base}-{role}").items()],
            )
            if cert["others"]:
                kwargs["SubjectAlternativeNames"] = [cert["domain"], *cert["others"]]
            cert["arn"] = self.acm(cert["region"]).request_certificate(aws_retry=True, **kwargs)["CertificateArn"]
            cert["status"] = "PENDING_VALIDATION"

    def _validation_records(self):
        o = self.o
        # ACM makes the validation records a few seconds after the request.
        for cert in o.certificates.values():
            if cert["arn"] and not cert["records"] and not o.check_mode:
                acm = self.acm(cert["region"])
                cert["records"] = wait_for(
                    lambda acm=acm, cert=cert: st.validation_records(st.describe_certificate(acm, cert["arn"])),
                    min(o.p["wait_timeout"], 120),
                    f"ACM to make the validation records of {cert['domain']}",
                    delay=1.0,
                )
        changes = []
        for cert in o.certificates.values():
            for name, value in cert["records"] or []:
                current = o.records.get((name.lower(), "CNAME", None))
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
        if changes and o.changes.add(
            f"zone {sp.fqdn(o.p['zone'])}: DNS validation records {', '.join(c['ResourceRecordSet']['Name'] for c in changes)}"
        ):
            o.zone_part.change_records(changes, "ACM DNS validation")

    def _wait_issued(self):
        o = self.o
        pending = [c for c in o.certificates.values() if c["arn"] and c["status"] != "ISSUED"]
        if pending and not o.check_mode and o.p["wait"]:
            for cert in pending:
                acm = self.acm(cert["region"])

                def issued(acm=acm, cert=cert):
                    status = st.describe_certificate(acm, cert["arn"])["Status"]
                    if status in ("FAILED", "VALIDATION_TIMED_OUT", "REVOKED"):
                        raise ReconcileError(
                            f"certificate for {cert['domain']} is {status}; delete it and converge again"
                        )
                    return status == "ISSUED"

                wait_for(issued, o.p["wait_timeout"], f"the certificate for {cert['domain']} to be issued", delay=2.0)
                cert["status"] = "ISSUED"
