"""The emulator's S3, ACM, CloudFront and Route 53 behaviours (what moto 5.2 lacks), driven with boto3."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError


def test_a_certificate_stays_pending_until_its_validation_record_exists(emulator):
    acm = emulator.boto3_client("acm")
    arn = acm.request_certificate(DomainName="app.example.com", ValidationMethod="DNS")["CertificateArn"]
    record = acm.describe_certificate(CertificateArn=arn)["Certificate"]["DomainValidationOptions"][0]["ResourceRecord"]
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "PENDING_VALIDATION"
    route53 = emulator.boto3_client("route53")
    zone = route53.create_hosted_zone(Name="example.com", CallerReference="z1")["HostedZone"]["Id"]
    change = {"Name": record["Name"], "Type": "CNAME", "TTL": 300, "ResourceRecords": [{"Value": record["Value"]}]}
    route53.change_resource_record_sets(
        HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": change}]}
    )
    found = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert found["Status"] == "ISSUED" and found["DomainValidationOptions"][0]["ValidationStatus"] == "SUCCESS"


def test_a_reused_hosted_zone_caller_reference_is_refused(emulator):
    route53 = emulator.boto3_client("route53")
    route53.create_hosted_zone(Name="example.com", CallerReference="same")
    with pytest.raises(ClientError) as raised:
        route53.create_hosted_zone(Name="example.com", CallerReference="same")
    assert raised.value.response["Error"]["Code"] == "HostedZoneAlreadyExists"
    assert len(route53.list_hosted_zones()["HostedZones"]) == 1


def _distribution(emulator):
    cf = emulator.boto3_client("cloudfront")
    oac = cf.create_origin_access_control(
        OriginAccessControlConfig={
            "Name": "oac",
            "SigningProtocol": "sigv4",
            "SigningBehavior": "always",
            "OriginAccessControlOriginType": "s3",
        }
    )["OriginAccessControl"]["Id"]
    config = {
        "CallerReference": "r1",
        "Comment": "c",
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "s3",
                    "DomainName": "b.s3.us-east-1.amazonaws.com",
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                    "OriginAccessControlId": oac,
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "s3",
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
        },
        "ViewerCertificate": {
            "ACMCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x",
            "SSLSupportMethod": "sni-only",
            "MinimumProtocolVersion": "TLSv1.2_2021",
        },
    }
    return cf, oac, cf.create_distribution(DistributionConfig=config)["Distribution"]["Id"]


def test_a_distribution_keeps_its_origin_access_control_and_certificate(emulator):
    cf, oac, distribution = _distribution(emulator)
    config = cf.get_distribution_config(Id=distribution)["DistributionConfig"]
    assert config["Origins"]["Items"][0]["OriginAccessControlId"] == oac
    assert config["ViewerCertificate"]["CloudFrontDefaultCertificate"] is False
    assert config["ViewerCertificate"]["CertificateSource"] == "acm"
    with pytest.raises(ClientError) as raised:
        cf.create_origin_access_control(
            OriginAccessControlConfig={
                "Name": "oac",
                "SigningProtocol": "sigv4",
                "SigningBehavior": "always",
                "OriginAccessControlOriginType": "s3",
            }
        )
    assert raised.value.response["Error"]["Code"] == "OriginAccessControlAlreadyExists"


def test_an_update_needs_the_current_etag_and_gives_a_new_one(emulator):
    cf, _oac, distribution = _distribution(emulator)
    found = cf.get_distribution_config(Id=distribution)
    with pytest.raises(ClientError) as raised:
        cf.update_distribution(Id=distribution, IfMatch="EWRONG", DistributionConfig=found["DistributionConfig"])
    assert raised.value.response["Error"]["Code"] == "PreconditionFailed"
    updated = cf.update_distribution(
        Id=distribution, IfMatch=found["ETag"], DistributionConfig=found["DistributionConfig"]
    )
    assert updated["ETag"] != found["ETag"] and updated["Distribution"]["Status"] == "InProgress"
    assert cf.get_distribution(Id=distribution)["Distribution"]["Status"] == "Deployed"
    with pytest.raises(ClientError):  # the old ETag is stale now
        cf.update_distribution(Id=distribution, IfMatch=found["ETag"], DistributionConfig=found["DistributionConfig"])


def test_an_invalidation_is_in_progress_then_completed(emulator):
    cf, _oac, distribution = _distribution(emulator)
    created = cf.create_invalidation(
        DistributionId=distribution,
        InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": "d1"},
    )["Invalidation"]
    assert created["Status"] == "InProgress"
    assert cf.get_invalidation(DistributionId=distribution, Id=created["Id"])["Invalidation"]["Status"] == "InProgress"
    time.sleep(1.1)
    assert cf.get_invalidation(DistributionId=distribution, Id=created["Id"])["Invalidation"]["Status"] == "Completed"


def test_a_tls_only_policy_lets_requests_through_and_a_plain_deny_does_not(emulator):
    s3 = emulator.boto3_client("s3")
    s3.create_bucket(Bucket="tls-only")
    deny_plain_http = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::tls-only", "arn:aws:s3:::tls-only/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    s3.put_bucket_policy(
        Bucket="tls-only", Policy=json.dumps({"Version": "2012-10-17", "Statement": [deny_plain_http]})
    )
    s3.put_object(Bucket="tls-only", Key="a", Body=b"x")
    deny_all = dict(deny_plain_http, Condition={"Bool": {"aws:SecureTransport": "true"}})
    s3.put_bucket_policy(Bucket="tls-only", Policy=json.dumps({"Version": "2012-10-17", "Statement": [deny_all]}))
    with pytest.raises(ClientError):
        s3.put_object(Bucket="tls-only", Key="b", Body=b"x")


def test_replication_configuration_is_kept_as_put_and_new_objects_replicate(emulator):
    s3, s3_dr = emulator.boto3_client("s3"), emulator.boto3_client("s3", "us-west-2")
    s3.create_bucket(Bucket="source-bucket")
    s3_dr.create_bucket(Bucket="replica-bucket", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    for client, name in ((s3, "source-bucket"), (s3_dr, "replica-bucket")):
        client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    rule = {
        "ID": "dr",
        "Priority": 1,
        "Status": "Enabled",
        "Filter": {"Prefix": "docs/"},
        "DeleteMarkerReplication": {"Status": "Enabled"},
        "Destination": {"Bucket": "arn:aws:s3:::replica-bucket"},
    }
    s3.put_bucket_replication(
        Bucket="source-bucket", ReplicationConfiguration={"Role": "arn:aws:iam::123456789012:role/r", "Rules": [rule]}
    )
    [kept] = s3.get_bucket_replication(Bucket="source-bucket")["ReplicationConfiguration"]["Rules"]
    assert kept["DeleteMarkerReplication"] == {"Status": "Enabled"} and kept["Filter"] == {"Prefix": "docs/"}
    s3.put_object(Bucket="source-bucket", Key="docs/a.pdf", Body=b"pdf")
    s3.put_object(Bucket="source-bucket", Key="tmp/b", Body=b"tmp")
    assert s3.head_object(Bucket="source-bucket", Key="docs/a.pdf")["ReplicationStatus"] == "COMPLETED"
    assert s3_dr.get_object(Bucket="replica-bucket", Key="docs/a.pdf")["Body"].read() == b"pdf"
    assert s3_dr.head_object(Bucket="replica-bucket", Key="docs/a.pdf")["ReplicationStatus"] == "REPLICA"
    with pytest.raises(ClientError):
        s3_dr.head_object(Bucket="replica-bucket", Key="tmp/b")  # outside the rule's prefix
