"""The failover procedures against botocore's Stubber (responses checked against the AWS API models), and their
input rules."""

from __future__ import annotations

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from botocore.stub import ANY
from botocore.stub import Stubber

from ansible_collections.stackops.platform.plugins.module_utils._failover import spec
from ansible_collections.stackops.platform.plugins.module_utils._failover.rds import RdsFailover
from ansible_collections.stackops.platform.plugins.module_utils.platform import PreconditionFailed

ARN = "arn:aws:rds:us-east-1:123456789012:db:moneytrack-prod-db"


def _rds():
    client = boto3.client("rds", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    return client, Stubber(client), RetryingBotoClientWrapper(client, AWSRetry.jittered_backoff(retries=1, delay=0))


def _instance(status="available", zone="us-east-1a", multi_az=True, tags=()):
    return {
        "DBInstanceIdentifier": "moneytrack-prod-db",
        "DBInstanceArn": ARN,
        "DBInstanceStatus": status,
        "AvailabilityZone": zone,
        "SecondaryAvailabilityZone": "us-east-1b" if zone == "us-east-1a" else "us-east-1a",
        "MultiAZ": multi_az,
        "Endpoint": {"Address": "moneytrack-prod-db.abc.us-east-1.rds.amazonaws.com", "Port": 5432},
        "TagList": [{"Key": k, "Value": v} for k, v in tags],
    }


def _params(**extra):
    params = dict(
        action="failover",
        db_instance_identifier="moneytrack-prod-db",
        db_cluster_identifier=None,
        target_instance=None,
        expected_primary_az=None,
        expected_writer=None,
        backup_retention_days=None,
        wait=True,
        wait_timeout=30,
    )
    params.update(extra)
    return params


def _describe(stubber, db):
    stubber.add_response("describe_db_instances", {"DBInstances": [db]}, {"DBInstanceIdentifier": "moneytrack-prod-db"})


def test_a_rerun_during_an_interrupted_failover_waits_for_it_and_never_reboots(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    _client, stubber, wrapped = _rds()
    started = (("stackops:failover-from", "us-east-1a"), ("stackops:failover-state", "started"))
    _describe(stubber, _instance(status="rebooting", tags=started))
    _describe(stubber, _instance(status="rebooting", tags=started))
    _describe(stubber, _instance(status="available", zone="us-east-1b", tags=started))
    stubber.add_response(
        "describe_events",
        {"Events": []},
        {"SourceType": "db-instance", "SourceIdentifier": "moneytrack-prod-db", "StartTime": ANY},
    )
    stubber.add_response(
        "add_tags_to_resource",
        {},
        {
            "ResourceName": ARN,
            "Tags": [
                {"Key": "stackops:failover-from", "Value": "us-east-1a"},
                {"Key": "stackops:failover-state", "Value": "done"},
            ],
        },
    )
    with stubber:
        procedure = RdsFailover(_params(), {"rds": wrapped}, "us-east-1", check_mode=False)
        procedure.run()
        stubber.assert_no_pending_responses()
    result = procedure.result()
    assert (result["old_az"], result["new_az"], result["failed_over"]) == ("us-east-1a", "us-east-1b", False)
    assert procedure.changes.items == []
    assert any("already in progress" in w for w in procedure.warnings)


def test_a_primary_already_elsewhere_is_done_without_a_write():
    _client, stubber, wrapped = _rds()
    _describe(stubber, _instance(zone="us-east-1b"))
    with stubber:
        procedure = RdsFailover(
            _params(expected_primary_az="us-east-1a"), {"rds": wrapped}, "us-east-1", check_mode=False
        )
        procedure.run()
        stubber.assert_no_pending_responses()
    assert procedure.result()["already_done"] and not procedure.changes


@pytest.mark.parametrize(
    ("db", "words"),
    [
        (_instance(multi_az=False), "is not Multi-AZ"),
        (_instance(status="modifying"), "is modifying, not available"),
    ],
)
def test_preflight_refuses_before_any_write(db, words):
    _client, stubber, wrapped = _rds()
    _describe(stubber, db)
    with stubber, pytest.raises(PreconditionFailed, match=words):
        RdsFailover(_params(), {"rds": wrapped}, "us-east-1", check_mode=False).run()


def test_check_mode_plans_the_failover_without_a_write():
    _client, stubber, wrapped = _rds()
    _describe(stubber, _instance())
    with stubber:
        procedure = RdsFailover(_params(), {"rds": wrapped}, "us-east-1", check_mode=True)
        procedure.run()
        stubber.assert_no_pending_responses()
    assert procedure.changes.items == [
        "fail over moneytrack-prod-db from us-east-1a to its standby in us-east-1b (reboot with failover)"
    ]
    assert procedure.result()["new_az"] == "us-east-1b"


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"db_instance_identifier": None}, "db_instance_identifier: give the instance"),
        ({"db_cluster_identifier": "c1"}, "give one or the other"),
        ({"db_instance_identifier": "1db"}, "db_instance_identifier: '1db' is not an RDS identifier"),
        ({"expected_primary_az": "us-east-1"}, "expected_primary_az: 'us-east-1' is not an Availability Zone"),
        ({"target_instance": "db-2"}, "target_instance: only for an Aurora cluster"),
        ({"backup_retention_days": 7}, "backup_retention_days: only for action=promote"),
        ({"wait_timeout": 0}, "wait_timeout: 0 must be 1 to 86400"),
    ],
)
def test_rds_rules_name_the_option(params, words):
    assert any(words in e for e in spec.rds_errors({**_params(), **params})), spec.rds_errors({**_params(), **params})


def test_cache_and_dns_rules():
    assert spec.cache_errors({"replication_group_id": "rg1", "node_group_id": "0001"}) == []
    assert (
        "node_group_id: '1' is not a node group"
        in spec.cache_errors({"replication_group_id": "rg1", "node_group_id": "1"})[0]
    )
    assert spec.dns_errors({"zone": "example.com", "record_name": "api.example.com"}) == []
    assert spec.dns_errors({"zone": "example.com", "record_name": "api.example.org"}) == [
        "record_name: api.example.org is not in the zone example.com"
    ]
