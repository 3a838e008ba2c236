"""The snapshot, restore and global database procedures' rules, and the global database procedure against
botocore's Stubber: a target that already writes, or an operation in progress, is never started again."""

from __future__ import annotations

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from botocore.stub import Stubber

from ansible_collections.stackops.platform.plugins.filter.restore_runbooks import restore_runbook_input_errors
from ansible_collections.stackops.platform.plugins.module_utils._restore import global_cluster as gc
from ansible_collections.stackops.platform.plugins.module_utils._restore import restore
from ansible_collections.stackops.platform.plugins.module_utils._restore import snapshot
from ansible_collections.stackops.platform.plugins.module_utils.platform import PreconditionFailed

PRIMARY = "arn:aws:rds:us-east-1:123456789012:cluster:chat-prod-db"
DR = "arn:aws:rds:us-west-2:123456789012:cluster:chat-prod-db-dr"


def restore_params(**extra):
    params = {"source": "chat-prod-db", "target": "chat-prod-db-r1", "snapshot": None, "restore_time": None,
              "source_region": None, "state": "present", "kms_key_id": None, "subnet_group": None,
              "security_group_ids": None}  # fmt: skip
    params.update(extra)
    return params


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({}, "snapshot: give one of snapshot"),
        ({"snapshot": "latest", "restore_time": "latest"}, "snapshot: give one of"),
        ({"snapshot": "latest", "target": "chat-prod-db"}, "target: chat-prod-db is the source itself"),
        ({"restore_time": "2099-01-01T00:00:00Z"}, "restore_time: 2099-01-01T00:00:00Z is in the future"),
        ({"restore_time": "noon"}, "restore_time: 'noon' is not an ISO 8601 time"),
        ({"restore_time": "latest", "source_region": "us-east-1"}, "restore_time: a point-in-time restore happens"),
        ({"snapshot": "latest", "source_region": "us-east-1"}, "subnet_group: required to restore into another region"),
        ({"snapshot": "latest", "kms_key_id": "alias/x"}, "kms_key_id: a restore in the source's region keeps"),
        ({"snapshot": "snap_1"}, "snapshot: 'snap_1' is not a snapshot identifier"),
        ({"snapshot": "latest", "target": "x--y"}, "target: 'x--y' is not an RDS instance identifier"),
    ],
)
def test_restore_refuses_bad_options_before_any_client(extra, message):
    errors = restore.validate(restore_params(**extra), "us-west-2")
    assert any(message in e for e in errors), errors


def test_restore_accepts_a_drill_and_a_point_in_time():
    drill = restore_params(snapshot="latest", source_region="us-east-1", subnet_group="g", kms_key_id="k",
                           security_group_ids=["sg-1"])  # fmt: skip
    assert restore.validate(drill, "us-west-2") == []
    assert restore.validate(restore_params(restore_time="2026-01-01T00:00:00Z"), "us-east-1") == []


def test_snapshot_reason_is_a_tag_value():
    errors = snapshot.validate({"instance": "db1", "reason": "drop; table", "requested_by": None}, "us-east-1")
    assert errors == [
        "reason: 'drop; table' holds characters a tag value cannot (letters, digits, spaces, _ . : / = + - @)"
    ]


def test_restore_runbook_filter_names_each_variable():
    errors = restore_runbook_input_errors({"target": "x1", "services": ["api"], "wait_timeout": "soon"}, "db_restore")
    assert [e.split(":", maxsplit=1)[0] for e in errors] == ["wait_timeout", "snapshot", "services"]


def _procedure(action, target, expected=None):
    rds = RetryingBotoClientWrapper(
        boto3.client("rds", region_name="us-west-2", aws_access_key_id="x", aws_secret_access_key="y"),
        AWSRetry.jittered_backoff(retries=1),
    )
    params = {"global_cluster": "chat-prod-db-global", "action": action, "target_cluster": target,
              "expected_writer": expected, "wait": True, "wait_timeout": 5}  # fmt: skip
    procedure = gc.GlobalClusterProcedure(params, {"rds": rds, "cluster": lambda region: rds}, check_mode=False)
    return procedure, Stubber(rds.client)


def _global(writer, state=None, status="available"):
    found = {
        "GlobalClusterIdentifier": "chat-prod-db-global",
        "Status": status,
        "GlobalClusterMembers": [
            {"DBClusterArn": PRIMARY, "IsWriter": writer == PRIMARY},
            {"DBClusterArn": DR, "IsWriter": writer == DR},
        ],
    }
    if state:
        found["FailoverState"] = state
    return {"GlobalClusters": [found]}


def test_a_target_that_already_writes_is_left_alone():
    procedure, stub = _procedure("failover", "chat-prod-db-dr", expected="chat-prod-db")
    stub.add_response("describe_global_clusters", _global(DR))
    with stub:
        procedure.run()
        stub.assert_no_pending_responses()
    assert not procedure.changes
    assert procedure.result()["outcome"] == "already the writer"


def test_an_operation_in_progress_is_waited_for_not_started_again():
    procedure, stub = _procedure("switchover", "chat-prod-db-dr")
    state = {"Status": "switching-over", "FromDbClusterArn": PRIMARY, "ToDbClusterArn": DR, "IsDataLossAllowed": False}
    stub.add_response("describe_global_clusters", _global(PRIMARY, state, "switching-over"))
    stub.add_response("describe_global_clusters", _global(DR))
    stub.add_response(
        "describe_db_clusters", {"DBClusters": [{"DBClusterIdentifier": "chat-prod-db-dr", "Status": "available"}]}
    )
    with stub:
        procedure.run()
        stub.assert_no_pending_responses()
    assert not procedure.changes
    assert procedure.result()["writer"] == DR


def test_a_writer_moved_by_someone_else_is_refused():
    procedure, stub = _procedure("switchover", "chat-prod-db", expected="chat-prod-db")
    stub.add_response("describe_global_clusters", _global(DR))
    with stub, pytest.raises(PreconditionFailed, match="expected_writer"):
        procedure.run()
