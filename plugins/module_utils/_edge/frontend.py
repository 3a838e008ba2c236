# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The front end: a private bucket and a bucket for CloudFront's access logs (the storage tier's converger), an
origin access control, the distribution (created, or updated with the ETag only when the fields this module
owns differ: an unchanged distribution gets no UpdateDistribution), then the bucket policy that lets only this
distribution read."""

from __future__ import annotations

try:
    from botocore.exceptions import ClientError
except ImportError:
    pass

from .._storage import spec as storage_spec
from .._storage import state as storage_state
from .._storage.bucket import BucketConverger
from .._storage.bucket import Desired
from ..platform import ReconcileError
from ..platform import wait_for
from . import spec as sp
from . import state as st


class Frontend:
    def __init__(self, owner):
        self.o = owner

    def read(self):
        o = self.o
        cf = o.c["cloudfront"]
        o.oac = st.find_origin_access_control(cf, o.names.origin_access_control)
        aliases = [o.p["frontend_domain"], *(o.p.get("frontend_alternative_names") or [])]
        o.distribution = st.find_distribution(cf, o.names.distribution_comment, aliases)
        if o.distribution:
            if o.distribution.get("Comment") != o.names.distribution_comment:
                raise ReconcileError(
                    f"{o.var('frontend_domain')}: distribution {o.distribution['Id']} (not this module's) already serves "
                    f"{', '.join(aliases)}; CloudFront lets one distribution hold an alternate domain name"
                )
            o.distribution_config, o.etag = st.distribution_config(cf, o.distribution["Id"])
        targets = {o.names.frontend_bucket: o.c["s3"], o.names.frontend_logs_bucket: o.c["s3"]}
        owned = storage_state.owned_bucket_names(o.c["s3"])
        states = storage_state.read_buckets(targets, owned, o.c["s3"])
        for name, state in states.items():
            o.buckets[name] = BucketConverger(self._bucket(name), state, o.c["s3"], o.changes)

    def _bucket(self, name):
        o = self.o
        d = Desired(name, o.region, "frontend" if name == o.names.frontend_bucket else "frontend logs")
        if name == o.names.frontend_bucket:
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
                    "Expiration": {"Days": o.p["frontend_log_retention_days"]},
                }
            ]
        d.policy = storage_spec.bucket_policy(o.partition, name, extra_statements=self._oac_statement(name))
        d.tags = o.tags(name, **{"stackops:purpose": d.purpose})
        return d

    def _oac_statement(self, name):
        o = self.o
        if name != o.names.frontend_bucket:
            return []
        arn = o.distribution["ARN"] if o.distribution else None
        if not arn:
            return []
        # "Restricting access to an Amazon S3 origin": only this distribution, through its origin access control.
        return [
            {
                "Sid": "CloudFrontOriginAccessControl",
                "Effect": "Allow",
                "Principal": {"Service": "cloudfront.amazonaws.com"},
                "Action": "s3:GetObject",
                "Resource": f"arn:{o.partition}:s3:::{name}/*",
                "Condition": {"StringEquals": {"AWS:SourceArn": arn}},
            }
        ]

    def desired_config(self):
        o = self.o
        cert = o.certificates.get("frontend") or {}
        reference = (o.distribution_config or {}).get("CallerReference") or o.names.caller_reference
        return sp.distribution_config(
            o.p,
            o.names,
            o.region,
            (o.oac or {}).get("Id") or sp.PENDING,
            cert.get("arn") or sp.PENDING,
            o.names.frontend_logs_bucket if o.p.get("frontend_logging") else None,
            reference,
        )

    def converge(self):
        o = self.o
        logs = o.buckets[o.names.frontend_logs_bucket]
        content = o.buckets[o.names.frontend_bucket]
        problems = logs.problems() + content.problems()
        if problems:
            raise ReconcileError("cannot converge the front end's buckets: " + "; ".join(problems))
        if o.p.get("frontend_logging"):
            logs.converge()
        self._origin_access_control()
        self._distribution()
        # The bucket policy names the distribution: the bucket is converged once the distribution exists.
        content.d.policy = storage_spec.bucket_policy(
            o.partition, content.d.name, extra_statements=self._oac_statement(content.d.name)
        )
        content.converge()

    def _origin_access_control(self):
        o = self.o
        if o.oac:
            return
        name = o.names.origin_access_control
        if not o.changes.add(f"create CloudFront origin access control {name} (S3, sigv4, always sign)"):
            return
        cf = o.c["cloudfront"]
        try:
            created = cf.create_origin_access_control(
                OriginAccessControlConfig={
                    "Name": name,
                    "Description": f"{o.names.base} front end bucket",
                    "SigningProtocol": "sigv4",
                    "SigningBehavior": "always",
                    "OriginAccessControlOriginType": "s3",
                },
                aws_retry=True,
            )
            o.oac = created["OriginAccessControl"]
        except ClientError as error:
            if storage_state.error_code(error) != "OriginAccessControlAlreadyExists":
                raise
            o.oac = st.find_origin_access_control(cf, name)  # a create whose response was lost

    def _distribution(self):
        o = self.o
        cf = o.c["cloudfront"]
        desired = self.desired_config()
        if o.distribution is None:
            sentence = (
                f"create CloudFront distribution for {', '.join(desired['Aliases']['Items'])} "
                f"({desired['PriceClass']}, {desired['ViewerCertificate']['MinimumProtocolVersion']}"
                f"{', WAF' if desired['WebACLId'] else ''})"
            )
            if not o.changes.add(sentence):
                return
            tags = o.tags(o.names.distribution_comment)
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
                created = st.find_distribution(cf, o.names.distribution_comment, desired["Aliases"]["Items"])
            o.distribution = {"Id": created["Id"], "ARN": created["ARN"], "DomainName": created["DomainName"]}
            self._wait_deployed()
            return
        current = sp.project(o.distribution_config)
        wanted = sp.project(desired)
        if current == wanted:
            return
        differs = sorted(k for k in wanted if current.get(k) != wanted.get(k))
        if not o.changes.add(f"update CloudFront distribution {o.distribution['Id']}: {', '.join(differs)}"):
            return
        merged = dict(o.distribution_config)
        merged.update({k: v for k, v in desired.items() if k != "CallerReference"})
        merged["Origins"] = desired["Origins"]
        try:
            cf.update_distribution(Id=o.distribution["Id"], IfMatch=o.etag, DistributionConfig=merged, aws_retry=True)
        except ClientError as error:
            if storage_state.error_code(error) == "PreconditionFailed":
                raise ReconcileError(
                    f"distribution {o.distribution['Id']} changed while this run read it (its ETag moved); run again"
                ) from None
            raise
        self._wait_deployed()

    def _wait_deployed(self):
        o = self.o
        if not o.p["wait"]:
            return
        cf = o.c["cloudfront"]
        wait_for(
            lambda: (
                cf.get_distribution(Id=o.distribution["Id"], aws_retry=True)["Distribution"]["Status"] == "Deployed"
            ),
            o.p["wait_timeout"],
            f"CloudFront distribution {o.distribution['Id']} to be deployed",
            delay=2.0,
        )
