"""The shared core every module runs on: run_reconciler, run_info, Phases, paginate, not_found, partition_for.

The last test runs every module of the collection without a region: each must fail with a message naming
what to set, never with botocore's NoRegionError traceback.
"""

from __future__ import annotations

import importlib
import json
import time
from pathlib import Path

import boto3
import botocore.exceptions
import pytest
from ansible.module_utils.testing import patch_module_args
from botocore.stub import Stubber

from ansible_collections.stackops.platform.plugins.module_utils import platform as core

ROOT = Path(__file__).resolve().parents[2]


class Failed(Exception):
    def __init__(self, result):
        super().__init__(result.get("msg"))
        self.result = result


class Exited(Exception):
    def __init__(self, result):
        super().__init__("exit_json")
        self.result = result


class FakeModule:
    """What run_reconciler and run_info use of AnsibleAWSModule; fail/exit raise so a test sees the result."""

    def __init__(self, params=None, region="us-east-1", check_mode=False, diff=False):
        self.params = params or {}
        self.region = region
        self.check_mode = check_mode
        self._diff = diff
        self.warned = []

    def warn(self, message):
        self.warned.append(message)

    def fail_json(self, **result):
        raise Failed(result)

    def fail_json_aws(self, error, msg, **result):
        raise Failed(dict(result, msg=msg, error=error))

    def exit_json(self, **result):
        raise Exited(result)


class FakeReconciler:
    def __init__(self, check_mode=False, fail=None, sentences=("create thing a",)):
        self.changes = core.Changes(check_mode)
        self.warnings = []
        self.fail = fail
        self.sentences = sentences
        self.before_snapshot = {"things": []}

    def converge(self):
        for sentence in self.sentences:
            self.changes.add(sentence)
        if self.fail is not None:
            raise self.fail

    def after(self):
        return {"things": ["a"]}

    def result(self):
        return {"id": "thing-1"}


def run(module, make, **kwargs):
    with pytest.raises((Failed, Exited)) as caught:
        core.run_reconciler(module, make, "thing", "thing", **kwargs)
    return caught.value


def test_invalid_spec_fails_before_the_reconciler_is_made():
    made = []
    outcome = run(
        FakeModule({"size": -1}),
        lambda region: made.append(region) or FakeReconciler(),
        validate=lambda params, region: [f"size: {params['size']} must be 1 or more"],
    )
    assert isinstance(outcome, Failed)
    assert outcome.result["msg"] == "invalid thing spec: size: -1 must be 1 or more"
    assert outcome.result["errors"] == ["size: -1 must be 1 or more"]
    assert made == []


def test_no_region_fails_before_anything_else():
    made = []
    outcome = run(FakeModule(region=None), lambda region: made.append(region) or FakeReconciler())
    assert isinstance(outcome, Failed)
    assert outcome.result["msg"].startswith("region: no region given")
    assert made == []


def test_botocore_no_region_error_is_a_message():
    def make(region):
        raise botocore.exceptions.NoRegionError()

    outcome = run(FakeModule(), make)
    assert isinstance(outcome, Failed)
    assert outcome.result["msg"].startswith("region: no region given")


@pytest.mark.parametrize(
    "error",
    [
        core.ReconcileError("cidr: cannot change", hint="restore it"),
        core.ResourceTimeout("timed out after 5 s waiting for thing", hint="restore it"),
        core.AmbiguousResource("2 VPCs carry the tags", hint="restore it"),
        core.PreconditionFailed("not in a state to act on", hint="restore it"),
    ],
)
def test_platform_errors_give_their_message_the_changes_made_and_their_details(error):
    outcome = run(FakeModule(), lambda region: FakeReconciler(fail=error))
    assert isinstance(outcome, Failed)
    assert outcome.result["msg"] == str(error)
    assert outcome.result["changes"] == ["create thing a"]
    assert outcome.result["hint"] == "restore it"


def test_aws_errors_say_what_was_done_before_the_failure():
    error = botocore.exceptions.ClientError(
        {"Error": {"Code": "InvalidParameterValue", "Message": "no"}}, "CreateThing"
    )
    outcome = run(FakeModule(), lambda region: FakeReconciler(fail=error, sentences=("create a", "tag a")))
    assert isinstance(outcome, Failed)
    assert outcome.result["msg"] == "thing failed (done before the failure: create a; tag a)"
    assert outcome.result["error"] is error
    assert outcome.result["changes"] == ["create a", "tag a"]


def test_aws_errors_before_any_change_say_nothing_was_done():
    error = botocore.exceptions.ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "DescribeThings")
    outcome = run(FakeModule(), lambda region: FakeReconciler(fail=error, sentences=()))
    assert outcome.result["msg"] == "thing failed (done before the failure: nothing)"


def test_other_exceptions_are_bugs_and_surface():
    with pytest.raises(KeyError):
        core.run_reconciler(FakeModule(), lambda region: FakeReconciler(fail=KeyError("Vpcs")), "thing", "thing")


def test_success_reports_changes_warnings_and_the_result_under_its_key():
    module = FakeModule()

    def make(region):
        found = FakeReconciler(sentences=("create thing a", "tag thing a"))
        found.warnings.append("thing b is not in the spec")
        return found

    outcome = run(module, make)
    assert isinstance(outcome, Exited)
    assert outcome.result == {
        "changed": True,
        "thing": {"id": "thing-1"},
        "changes": ["create thing a", "tag thing a"],
    }
    assert module.warned == ["thing b is not in the spec"]


def test_diff_only_with_diff_mode():
    plain = run(FakeModule(), lambda region: FakeReconciler())
    assert "diff" not in plain.result
    diffed = run(FakeModule(diff=True), lambda region: FakeReconciler())
    assert diffed.result["diff"] == {"before": {"things": []}, "after": {"things": ["a"]}}


def test_check_mode_reports_the_changes_it_would_make():
    outcome = run(FakeModule(check_mode=True), lambda region: FakeReconciler(check_mode=True))
    assert outcome.result["changed"] is True
    assert outcome.result["changes"] == ["create thing a"]


def test_action_replaces_converge():
    ran = []
    outcome = run(FakeModule(), lambda region: FakeReconciler(), action=ran.append)
    assert len(ran) == 1
    assert outcome.result["changed"] is False  # converge did not run, so nothing was added


class FakeProcedure(FakeReconciler):
    def __init__(self, fail_in=None):
        super().__init__(sentences=())
        self.phases = core.Phases()
        self.fail_in = fail_in

    def converge(self):
        with self.phases.phase("check"):
            pass
        with self.phases.phase("act"):
            self.changes.add("fail over")
            if self.fail_in == "act":
                raise core.PreconditionFailed("the replica is not in sync")


def test_a_procedure_reports_its_phases_and_duration():
    outcome = run(FakeModule(), lambda region: FakeProcedure())
    assert [(p["phase"], p["outcome"]) for p in outcome.result["phases"]] == [("check", "ok"), ("act", "ok")]
    assert outcome.result["duration_s"] >= 0


def test_a_failed_procedure_reports_the_phases_so_far():
    outcome = run(FakeModule(), lambda region: FakeProcedure(fail_in="act"))
    assert isinstance(outcome, Failed)
    assert [(p["phase"], p["outcome"]) for p in outcome.result["phases"]] == [("check", "ok"), ("act", "failed")]
    assert outcome.result["changes"] == ["fail over"]


def test_phases_record_outcomes_and_durations():
    phases = core.Phases()
    with phases.phase("wait"):
        time.sleep(0.05)
    with pytest.raises(core.ResourceTimeout), phases.phase("promote"):
        raise core.ResourceTimeout("timed out")
    with phases.phase("verify") as entry:
        entry["outcome"] = "skipped"
    wait, promote, verify = phases.items
    assert wait["outcome"] == "ok" and wait["duration_s"] >= 0.05
    assert promote["outcome"] == "failed" and promote["end"] is not None
    assert verify["outcome"] == "skipped"
    assert all(p["start"] <= p["end"] for p in phases.items)
    assert phases.duration >= wait["duration_s"]


def test_run_info_reports_exists_and_never_changed():
    with pytest.raises(Exited) as caught:
        core.run_info(FakeModule(), lambda region: (True, {"id": region}), "thing", "thing")
    assert caught.value.result == {"changed": False, "exists": True, "thing": {"id": "us-east-1"}}
    with pytest.raises(Exited) as caught:
        core.run_info(FakeModule(), lambda region: (False, {"a": 1, "b": None}), None, "thing")
    assert caught.value.result == {"changed": False, "exists": False, "a": 1, "b": None}


def test_run_info_maps_errors():
    def ambiguous(region):
        raise core.AmbiguousResource("2 VPCs carry the tags")

    with pytest.raises(Failed) as caught:
        core.run_info(FakeModule(), ambiguous, "thing", "thing")
    assert caught.value.result["msg"] == "2 VPCs carry the tags"

    def denied(region):
        raise botocore.exceptions.ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "DescribeThings")

    with pytest.raises(Failed) as caught:
        core.run_info(FakeModule(), denied, "thing", "thing")
    assert caught.value.result["msg"] == "could not read the thing"
    with pytest.raises(Failed) as caught:
        core.run_info(FakeModule(region=None), denied, "thing", "thing")
    assert caught.value.result["msg"].startswith("region: no region given")


def _ec2():
    return boto3.client("ec2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def test_paginate_reads_every_page():
    ec2 = _ec2()
    with Stubber(ec2) as stub:
        stub.add_response("describe_vpcs", {"Vpcs": [{"VpcId": "vpc-1"}], "NextToken": "t"}, {})
        stub.add_response("describe_vpcs", {"Vpcs": [{"VpcId": "vpc-2"}]}, {"NextToken": "t"})
        found = core.paginate(ec2, "describe_vpcs", "Vpcs")
        stub.assert_no_pending_responses()
    assert [v["VpcId"] for v in found] == ["vpc-1", "vpc-2"]


def test_not_found_is_none_and_other_errors_go_on():
    ec2 = _ec2()
    with Stubber(ec2) as stub:
        stub.add_client_error("describe_vpcs", "InvalidVpcID.NotFound", "no such VPC")
        stub.add_client_error("describe_vpcs", "UnauthorizedOperation", "denied")
        assert core.not_found(lambda: ec2.describe_vpcs(VpcIds=["vpc-1"]), "InvalidVpcID.NotFound") is None
        with pytest.raises(botocore.exceptions.ClientError):
            core.not_found(lambda: ec2.describe_vpcs(VpcIds=["vpc-1"]), "InvalidVpcID.NotFound")
        stub.assert_no_pending_responses()


def test_partition_comes_from_botocore():
    assert core.partition_for("us-east-1") == "aws"
    assert core.partition_for("cn-north-1") == "aws-cn"
    assert core.partition_for("us-gov-west-1") == "aws-us-gov"
    assert core.partition_for("us-iso-east-1") == "aws-iso"
    assert core.partition_for("us-isob-east-1") == "aws-iso-b"


# Each module with only its required options (and no region): enough to get past argument validation.
MODULE_ARGS = {
    "alb_platform": {"name": "x"},
    "cache_replication_group": {"name": "x", "node_type": "cache.t4g.micro", "auth_token": False},
    "cache_replication_group_info": {},
    "database_postgres": {"name": "x", "engine_version": "16"},
    "database_postgres_info": {},
    "ecs_platform": {"name": "x"},
    "ecs_platform_info": {},
    "eks_cluster": {"name": "x", "version": "1.31"},
    "eks_cluster_info": {},
    "kube_objects": {"objects": [], "cluster_name": "x"},
    "search_domain": {"name": "x"},
    "search_domain_info": {},
    "security_baseline": {"name": "x"},
    "security_info": {},
    "vpc_network": {"name": "x", "state": "absent"},
    "vpc_network_info": {},
    "connection_secret": {"key": "database_connection", "values": {"host": "x"}},
    "ecs_deploy": {"cluster": "x", "service": "api"},
    "service_diagnose_info": {},
    "kube_rollout": {"action": "status", "name": "api", "namespace": "app", "cluster_name": "x"},
    "storage_buckets": {},
    "storage_buckets_info": {},
    "edge_platform": {"zone": "example.com"},
    "edge_platform_info": {},
    "edge_frontend_deploy": {"source": "/nonexistent"},
    "monitoring_platform": {"name": "x"},
    "monitoring_info": {},
    "backup_platform": {"name": "x", "plans": []},
    "backup_info": {},
    "rds_failover": {"db_instance_identifier": "x"},
    "elasticache_failover": {"replication_group_id": "x"},
    "dns_failover": {"zone": "example.com", "record_name": "api.example.com"},
    "rds_snapshot": {"instance": "x", "reason": "test"},
    "rds_restore": {"source": "x", "target": "y", "snapshot": "latest"},
    "rds_global_cluster": {"global_cluster": "x", "action": "status"},
}
IDENTITY = {"platform": "moneytrack", "environment": "dev"}


def test_every_module_is_in_the_no_region_test():
    modules = {p.stem for p in (ROOT / "plugins" / "modules").glob("*.py") if p.stem != "__init__"}
    assert modules == set(MODULE_ARGS)


@pytest.mark.parametrize("name", sorted(MODULE_ARGS))
def test_every_module_without_a_region_says_how_to_give_one(name, monkeypatch, capsys, tmp_path):
    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))  # no region from a developer's config
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    args = dict(MODULE_ARGS[name])
    # these act on one named resource
    if name not in (
        "kube_objects",
        "kube_rollout",
        "ecs_deploy",
        "rds_failover",
        "elasticache_failover",
        "dns_failover",
        "rds_global_cluster",
    ):
        args.update(IDENTITY)
    args.update(access_key="emulator", secret_key="emulator", endpoint_url="http://127.0.0.1:1")
    module = importlib.import_module(f"ansible_collections.stackops.platform.plugins.modules.{name}")
    with patch_module_args(args), pytest.raises(SystemExit):
        module.main()
    result = json.loads(capsys.readouterr().out)
    assert result.get("failed") is True, result
    assert result["msg"].startswith("region: no region given"), result["msg"]
    assert "Traceback" not in json.dumps(result)


class RecordingClient:
    """Records each call (name, params) and answers {}."""

    def __init__(self):
        self.calls = []

    def __getattr__(self, operation):
        def call(**params):
            params.pop("aws_retry", None)
            self.calls.append((operation, params))
            return {}

        return call


def test_sync_tags_sets_and_removes_leaving_foreign_tags_alone():
    ec2, changes = RecordingClient(), core.Changes(check_mode=False)
    current = {"Name": "old", "team": "a", "aws:cloudformation:stack-name": "x", "kubernetes.io/cluster/c": "owned"}
    differed = core.sync_tags(changes, ec2, "ec2", "subnet-1", "subnet public/a", current, {"Name": "new"}, True)
    assert differed is True
    assert changes.items == ["tag subnet public/a: set Name", "tag subnet public/a: remove team"]
    assert ec2.calls == [
        ("create_tags", {"Resources": ["subnet-1"], "Tags": [{"Key": "Name", "Value": "new"}]}),
        ("delete_tags", {"Resources": ["subnet-1"], "Tags": [{"Key": "team"}]}),
    ]


def test_sync_tags_in_check_mode_only_says_what_it_would_do():
    kms, changes = RecordingClient(), core.Changes(check_mode=True)
    core.sync_tags(changes, kms, "kms", "key-1", "alias/x", {"a": "1"}, {"a": "2"}, True)
    assert changes.items == ["tag alias/x: set a"]
    assert kms.calls == []


def test_sync_tags_without_purge_keeps_extra_tags_and_speaks_each_service():
    kms, changes = RecordingClient(), core.Changes(check_mode=False)
    assert core.sync_tags(changes, kms, "kms", "key-1", "alias/x", {"a": "1", "b": "2"}, {"a": "1"}, False) is False
    assert kms.calls == [] and changes.items == []
    core.sync_tags(changes, kms, "kms", "key-1", "alias/x", {}, {"a": "1"}, False)
    assert kms.calls == [("tag_resource", {"KeyId": "key-1", "Tags": [{"TagKey": "a", "TagValue": "1"}]})]
    ecs = RecordingClient()
    core.sync_tags(changes, ecs, "ecs", "arn:svc", "ECS service s", {"b": "2"}, {"a": "1"}, True)
    assert ecs.calls == [
        ("tag_resource", {"resourceArn": "arn:svc", "tags": [{"key": "a", "value": "1"}]}),
        ("untag_resource", {"resourceArn": "arn:svc", "tagKeys": ["b"]}),
    ]


def test_tags_are_purged_only_when_tags_are_given():
    assert core.tags_purged({"purge_tags": True, "tags": {}}) is True
    assert core.tags_purged({"purge_tags": True, "tags": None}) is False
    assert core.tags_purged({"purge_tags": False, "tags": {"a": "1"}}) is False


def _refused(message, code="InvalidParameterException"):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": message}}, "CreateCluster")


def test_after_iam_propagation_retries_only_the_role_error():
    answers = iter([_refused("Role arn:aws:iam::1:role/x cannot be assumed"), "done"])

    def create():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert (
        core.after_iam_propagation(create, 5, "the role", ("InvalidParameterException",), ("role",), delay=0) == "done"
    )

    def other():
        raise _refused("Subnets are invalid")

    with pytest.raises(botocore.exceptions.ClientError, match="Subnets are invalid"):
        core.after_iam_propagation(other, 5, "the role", ("InvalidParameterException",), ("role",), delay=0)


def test_after_iam_propagation_times_out_with_aws_last_answer():
    def never():
        raise _refused("The monitoring role is not valid", code="InvalidParameterValue")

    with pytest.raises(core.ResourceTimeout, match="AWS still answers: The monitoring role is not valid"):
        core.after_iam_propagation(never, 0.05, "the role", ("InvalidParameterValue",), ("monitoring",), delay=0.01)
