"""The storage tier converged on the emulator, read back from the API with boto3.

The read-back and idempotence tests share one converged environment (module scope): network and security (the
KMS keys in both regions) and storage, for both hosts of inventories/local. The tests after them start from an
emptied emulator.
"""

from __future__ import annotations

import json

import pytest
from conftest import run_playbook

TIERS = "tests/integration/storage_edge_tiers.yml"
PRIMARY = "local-use1"
TASK_ROLE = "demo-local-ecs-task-us-east-1"  # the cluster tier's ECS task role, granted the documents bucket
OTHER_ACCOUNT = "111122223333"


def make_task_role(emulator):
    """The role the cluster tier makes (the documents bucket grants it), without converging the cluster."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    return emulator.boto3_client("iam").create_role(RoleName=TASK_ROLE, AssumeRolePolicyDocument=json.dumps(trust))[
        "Role"
    ]["Arn"]


def writes(emulator):
    return [f"{c['service']}:{c['operation']}" for c in emulator.writes()]


def key_arn(emulator, alias, region="us-east-1"):
    return emulator.boto3_client("kms", region).describe_key(KeyId=alias)["KeyMetadata"]["Arn"]


@pytest.fixture(scope="module")
def converged(emulator_session):
    emulator_session.reset()
    role_arn = make_task_role(emulator_session)
    run = run_playbook(emulator_session, TIERS, diff=True)
    assert run.rc == 0, run.messages()
    return run, role_arn


def test_every_bucket_is_private_encrypted_and_tls_only(emulator_session, converged):
    s3 = emulator_session.boto3_client("s3")
    names = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    expected = {f"demo-local-{p}" for p in ("documents", "reports", "backups", "audit", "terraform-state", "logs")} | {
        "demo-local-documents-us-west-2",
        "demo-local-backups-us-west-2",
    }
    assert names - expected == {"demo-local-frontend", "demo-local-frontend-logs"}  # the edge tier's (same run)
    assert expected <= names
    for name in expected:
        block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
        assert all(block.values()) and len(block) == 4, name
        ownership = s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"]
        assert ownership == [{"ObjectOwnership": "BucketOwnerEnforced"}], name
        policy = json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])
        deny = next(s for s in policy["Statement"] if s["Sid"] == "DenyInsecureTransport")
        assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert set(deny["Resource"]) == {f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"}
        tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=name)["TagSet"]}
        assert tags["stackops:component"] == "storage" and tags["Name"] == name and tags["owner"] == "platform-team"
    rules = s3.get_bucket_encryption(Bucket="demo-local-documents")["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    rules = s3.get_bucket_encryption(Bucket="demo-local-backups")["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": key_arn(emulator_session, "alias/demo-local-backups"),
    }
    assert rules[0]["BucketKeyEnabled"] is True
    assert s3.get_bucket_versioning(Bucket="demo-local-documents")["Status"] == "Enabled"
    assert "Status" not in s3.get_bucket_versioning(Bucket="demo-local-reports")


def test_lifecycle_cors_logging_and_object_lock(emulator_session, converged):
    s3 = emulator_session.boto3_client("s3")
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket="demo-local-audit")["Rules"]}
    assert rules["tiering"]["Transitions"] == [
        {"Days": 30, "StorageClass": "STANDARD_IA"},
        {"Days": 365, "StorageClass": "DEEP_ARCHIVE"},
    ]
    assert rules["tiering"]["Expiration"] == {"Days": 3653}
    assert rules["abort-incomplete-multipart-uploads"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    documents = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket="demo-local-documents")["Rules"]}
    assert documents["archive"]["Transitions"] == [{"Days": 90, "StorageClass": "GLACIER"}]
    assert documents["archive"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 365}
    [cors] = s3.get_bucket_cors(Bucket="demo-local-documents")["CORSRules"]
    assert cors["AllowedOrigins"] == ["https://app.demo.example.com"] and cors["ExposeHeaders"] == ["ETag"]
    assert sorted(cors["AllowedMethods"]) == ["GET", "HEAD", "PUT"] and cors["MaxAgeSeconds"] == 3000
    logging = s3.get_bucket_logging(Bucket="demo-local-reports")["LoggingEnabled"]
    assert logging == {"TargetBucket": "demo-local-logs", "TargetPrefix": "s3/demo-local-reports/"}
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket="demo-local-logs")
    logs_policy = json.loads(s3.get_bucket_policy(Bucket="demo-local-logs")["Policy"])
    delivery = next(s for s in logs_policy["Statement"] if s["Sid"] == "S3ServerAccessLogsPolicy")
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Resource"] == "arn:aws:s3:::demo-local-logs/*"
    lock = s3.get_object_lock_configuration(Bucket="demo-local-audit")["ObjectLockConfiguration"]
    assert lock["ObjectLockEnabled"] == "Enabled" and lock["Rule"]["DefaultRetention"]["Mode"] == "GOVERNANCE"
    assert lock["Rule"]["DefaultRetention"]["Years"] == 10


def test_documents_are_granted_to_the_task_role(emulator_session, converged):
    _run, role_arn = converged
    policy = json.loads(emulator_session.boto3_client("s3").get_bucket_policy(Bucket="demo-local-documents")["Policy"])
    objects = next(s for s in policy["Statement"] if s["Sid"] == "Grant0Objects")
    assert objects["Principal"] == {"AWS": role_arn} and objects["Resource"] == "arn:aws:s3:::demo-local-documents/*"
    assert set(objects["Action"]) == {"s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject"}


def test_replication_to_the_dr_region_with_its_key_and_role(emulator_session, converged):
    s3, s3_dr = emulator_session.boto3_client("s3"), emulator_session.boto3_client("s3", "us-west-2")
    dr_key = key_arn(emulator_session, "alias/demo-local-backups", "us-west-2")
    assert s3_dr.get_bucket_location(Bucket="demo-local-backups-us-west-2")["LocationConstraint"] == "us-west-2"
    assert s3_dr.get_bucket_versioning(Bucket="demo-local-backups-us-west-2")["Status"] == "Enabled"
    replica_rules = s3_dr.get_bucket_encryption(Bucket="demo-local-backups-us-west-2")[
        "ServerSideEncryptionConfiguration"
    ]["Rules"]
    assert replica_rules[0]["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == dr_key
    configuration = s3.get_bucket_replication(Bucket="demo-local-backups")["ReplicationConfiguration"]
    assert configuration["Role"] == "arn:aws:iam::123456789012:role/demo-local-s3-replication"
    [rule] = configuration["Rules"]
    assert rule["Status"] == "Enabled" and rule["DeleteMarkerReplication"] == {"Status": "Enabled"}
    assert rule["Destination"]["Bucket"] == "arn:aws:s3:::demo-local-backups-us-west-2"
    assert rule["Destination"]["EncryptionConfiguration"] == {"ReplicaKmsKeyID": dr_key}
    assert rule["SourceSelectionCriteria"] == {"SseKmsEncryptedObjects": {"Status": "Enabled"}}
    iam = emulator_session.boto3_client("iam")
    role = iam.get_role(RoleName="demo-local-s3-replication")["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "s3.amazonaws.com"}
    policy = iam.get_role_policy(RoleName="demo-local-s3-replication", PolicyName="replication")["PolicyDocument"]
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["WriteReplicas"]["Resource"] == [
        "arn:aws:s3:::demo-local-backups-us-west-2/*",
        "arn:aws:s3:::demo-local-documents-us-west-2/*",
    ]
    assert statements["EncryptReplicas"]["Resource"] == [dr_key]


def test_new_objects_reach_the_replica(emulator_session, converged):
    s3, s3_dr = emulator_session.boto3_client("s3"), emulator_session.boto3_client("s3", "us-west-2")
    s3.put_object(Bucket="demo-local-backups", Key="db/2026-12-05.dump", Body=b"backup")
    assert s3.head_object(Bucket="demo-local-backups", Key="db/2026-12-05.dump")["ReplicationStatus"] == "COMPLETED"
    replica = s3_dr.head_object(Bucket="demo-local-backups-us-west-2", Key="db/2026-12-05.dump")
    assert replica["ReplicationStatus"] == "REPLICA" and replica["ServerSideEncryption"] == "aws:kms"
    assert replica["SSEKMSKeyId"] == key_arn(emulator_session, "alias/demo-local-backups", "us-west-2")


def test_second_converge_changes_nothing_and_only_reads(emulator_session, converged):
    emulator_session.clear_calls()
    run = run_playbook(emulator_session, "playbooks/storage.yml")
    assert run.rc == 0, run.messages()
    assert run.changed() == 0 and writes(emulator_session) == []
    result = run.result("Converge the S3 buckets", PRIMARY)
    assert result["changes"] == []
    assert result["storage"]["buckets"]["documents"]["replica"] == "demo-local-documents-us-west-2"
    ops = emulator_session.calls()["by_operation"]
    assert ops["s3:ListBuckets"] == 1 and ops["s3:GetBucketPolicy"] == 8  # one read per setting and bucket
    assert not run.results("Converge the S3 buckets", "local-usw2") or run.result(
        "Converge the S3 buckets", "local-usw2"
    ).get("skipped")


def test_a_changed_lifecycle_is_put_again_and_shown_in_the_diff(emulator_session, converged):
    buckets = [
        {"purpose": "reports", "versioning": False, "lifecycle": [{"id": "expire", "expiration_days": 60}]},
        {"purpose": "logs", "versioning": False, "access_logging": False},
    ]
    emulator_session.clear_calls()
    run = run_playbook(
        emulator_session, "playbooks/storage.yml", limit=PRIMARY, extra_vars={"storage_buckets": buckets}, diff=True
    )
    assert run.rc == 0, run.messages()
    result = run.result("Converge the S3 buckets", PRIMARY)
    assert "bucket demo-local-reports: lifecycle rules expire, abort-incomplete-multipart-uploads" in result["changes"]
    assert "bucket demo-local-logs: lifecycle rules abort-incomplete-multipart-uploads" in result["changes"]
    before = result["diff"]["before"]["buckets"]["demo-local-reports"]["lifecycle"]
    after = result["diff"]["after"]["buckets"]["demo-local-reports"]["lifecycle"]
    assert [r["Expiration"] for r in before if r["ID"] == "expire"] == [30]
    assert [r["Expiration"] for r in after if r["ID"] == "expire"] == [60]
    done = writes(emulator_session)
    assert len(done) == 2 and all(w.startswith("s3:PutBucketLifecycle") for w in done), done
    rules = emulator_session.boto3_client("s3").get_bucket_lifecycle_configuration(Bucket="demo-local-reports")
    assert {r["ID"]: r.get("Expiration") for r in rules["Rules"]}["expire"] == {"Days": 60}


# -- from an empty account ------------------------------------------------------------------------------------------


def test_check_mode_on_an_empty_account_plans_without_writing(emulator, playbook):
    run = playbook("playbooks/storage.yml", limit=PRIMARY, check=True, diff=True)
    assert run.rc == 0, run.messages()
    assert emulator.writes() == []
    result = run.result("Converge the S3 buckets", PRIMARY)
    assert "create bucket demo-local-audit (us-east-1, Object Lock enabled)" in result["changes"]
    assert "create IAM role demo-local-s3-replication (S3 replication to us-west-2)" in result["changes"]
    assert "bucket demo-local-documents: replicate to demo-local-documents-us-west-2" in result["changes"]
    assert result["diff"]["before"]["buckets"]["demo-local-documents"] is None
    assert result["diff"]["after"]["buckets"]["demo-local-documents"]["replication"] == "demo-local-documents-us-west-2"


def test_a_name_another_account_owns_is_a_clear_error_before_any_write(emulator, playbook):
    other = emulator.boto3_client("s3")
    other.meta.events.register(
        "before-sign.s3.*", lambda request, **_: request.headers.__setitem__("x-moto-account-id", OTHER_ACCOUNT)
    )
    other.create_bucket(Bucket="demo-local-reports")
    emulator.clear_calls()
    buckets = [
        {"purpose": "reports", "versioning": False},
        {"purpose": "logs", "versioning": False, "access_logging": False},
    ]
    run = playbook("playbooks/storage.yml", limit=PRIMARY, extra_vars={"storage_buckets": buckets})
    assert run.rc != 0
    assert (
        "bucket demo-local-reports: the name is taken by another AWS account (S3 bucket names are global); "
        "set a suffix for the reports bucket" in run.messages()
    )
    assert "Traceback" not in run.messages()
    assert writes(emulator) == []


def test_creates_whose_responses_are_lost_make_one_of_everything(emulator, playbook):
    buckets = [
        {"purpose": "documents", "replication": True},
        {"purpose": "logs", "versioning": False, "access_logging": False},
    ]
    emulator.set_faults(lost_responses={"CreateBucket": 2, "CreateRole": 1, "PutBucketReplication": 1})
    run = playbook("playbooks/storage.yml", limit=PRIMARY, extra_vars={"storage_buckets": buckets})
    assert run.rc == 0, run.messages()
    assert len([c for c in emulator.calls()["calls"] if c["fault"] == "lost_response"]) == 4
    names = sorted(b["Name"] for b in emulator.boto3_client("s3").list_buckets()["Buckets"])
    assert names == ["demo-local-documents", "demo-local-documents-us-west-2", "demo-local-logs"]
    roles = [r["RoleName"] for r in emulator.boto3_client("iam").list_roles()["Roles"]]
    assert roles.count("demo-local-s3-replication") == 1
    emulator.clear_calls()
    again = playbook("playbooks/storage.yml", limit=PRIMARY, extra_vars={"storage_buckets": buckets})
    assert again.rc == 0 and again.changed() == 0 and writes(emulator) == []


# -- bad input: one playbook run, one host per case, no API call --------------------------------------------------------

GOOD = {"purpose": "logs", "versioning": False, "access_logging": False}


def _with(*buckets):
    return {"storage_buckets": [*buckets, GOOD]}


BAD_INPUT = {
    "ia_transition_below_30_days": (
        _with(
            {
                "purpose": "docs",
                "lifecycle": [{"id": "a", "transitions": [{"days": 10, "storage_class": "STANDARD_IA"}]}],
            }
        ),
        ["storage_buckets[0].lifecycle[0].transitions[0].days", "below S3's minimum of 30 days for STANDARD_IA"],
    ),
    "transitions_out_of_order": (
        _with(
            {
                "purpose": "docs",
                "lifecycle": [
                    {
                        "id": "a",
                        "transitions": [
                            {"days": 90, "storage_class": "GLACIER"},
                            {"days": 60, "storage_class": "STANDARD_IA"},
                        ],
                    }
                ],
            }
        ),
        ["storage_buckets[0].lifecycle[0].transitions[1].days", "must be later than the previous transition"],
    ),
    "expiry_before_transition": (
        _with(
            {
                "purpose": "docs",
                "lifecycle": [
                    {"id": "a", "transitions": [{"days": 90, "storage_class": "GLACIER"}], "expiration_days": 30}
                ],
            }
        ),
        ["storage_buckets[0].lifecycle[0].expiration_days", "S3 refuses an expiry before a transition"],
    ),
    "unknown_storage_class": (
        _with({"purpose": "docs", "lifecycle": [{"id": "a", "transitions": [{"days": 30, "storage_class": "COLD"}]}]}),
        ["storage_buckets[0].lifecycle[0].transitions[0].storage_class", "'COLD' is not one of"],
    ),
    "replication_to_the_same_region": (
        {**_with({"purpose": "docs", "replication": True}), "storage_dr_region": "us-east-1"},
        ["storage_buckets[0].replication", "is the bucket's own region"],
    ),
    "replication_without_versioning": (
        {**_with({"purpose": "docs", "replication": True, "versioning": False}), "storage_dr_region": "us-west-2"},
        ["storage_buckets[0].replication", "needs versioning on"],
    ),
    "bucket_name_s3_rejects": (
        _with({"purpose": "docs", "suffix": "x" * 60}),
        ["storage_buckets[0]", "must be 3-63 characters", "S3 bucket naming rules"],
    ),
    "cors_origin_not_a_url": (
        _with({"purpose": "docs", "cors": [{"origins": ["app.example.com/path"], "methods": ["GET"]}]}),
        ["storage_buckets[0].cors[0].origins[0]", "is not an origin"],
    ),
    "cors_method_unknown": (
        _with({"purpose": "docs", "cors": [{"origins": ["https://app.example.com"], "methods": ["PATCH"]}]}),
        ["storage_buckets[0].cors[0].methods[0]", "'PATCH' is not one of"],
    ),
    "sse_kms_without_a_key": (
        _with({"purpose": "docs", "encryption": "sse-kms"}),
        ["storage_buckets[0].kms_key", "SSE-KMS needs a KMS key"],
    ),
    "object_lock_without_versioning": (
        _with({"purpose": "docs", "versioning": False, "object_lock": {"mode": "COMPLIANCE", "days": 30}}),
        ["storage_buckets[0].object_lock", "needs versioning on"],
    ),
    "logs_bucket_on_sse_kms": (
        {"storage_buckets": [{"purpose": "logs", "encryption": "sse-kms", "kms_key": "logs", "access_logging": False}]},
        [
            "storage_buckets[0].encryption",
            "does not deliver access logs to a bucket whose default encryption is SSE-KMS",
        ],
    ),
    "notification_in_another_region": (
        _with(
            {
                "purpose": "docs",
                "notifications": [
                    {"events": ["s3:ObjectCreated:*"], "queue_arn": "arn:aws:sqs:eu-west-1:123456789012:q"}
                ],
            }
        ),
        ["storage_buckets[0].notifications[0].queue_arn", "only to destinations in the bucket's region"],
    ),
    "grant_to_a_bad_role": (
        _with({"purpose": "docs", "grants": [{"role": "no spaces allowed", "access": "admin"}]}),
        ["storage_buckets[0].grants[0].role", "storage_buckets[0].grants[0].access"],
    ),
    "duplicate_bucket": (
        _with({"purpose": "docs"}, {"purpose": "docs"}),
        ["storage_buckets[1]: bucket demo-test-docs is also storage_buckets[0]"],
    ),
    "logs_bucket_missing": (
        {"storage_buckets": [{"purpose": "docs"}]},
        ["storage_buckets[0].access_logging", "which is not in storage_buckets"],
    ),
}


@pytest.fixture(scope="module")
def bad_input_run(emulator_session, tmp_path_factory):
    emulator_session.reset()
    hosts = {name.replace("_", "-"): variables for name, (variables, _expected) in BAD_INPUT.items()}
    inventory = {
        "all": {
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                "platform_name": "demo",
                "platform_environment": "test",
                "platform_region": "us-east-1",
            },
            "hosts": hosts,
        }
    }
    path = tmp_path_factory.mktemp("storage-bad-input") / "hosts.yml"
    path.write_text(json.dumps(inventory))
    run = run_playbook(emulator_session, "playbooks/storage.yml", inventory=str(path), env={"ANSIBLE_FORKS": "8"})
    return run, emulator_session.calls()


def test_bad_input_run_makes_no_api_call(bad_input_run):
    run, calls = bad_input_run
    assert calls["calls"] == [], calls["by_operation"]
    assert run.failed() == len(BAD_INPUT)
    assert not [r for r in run.results("Converge the S3 buckets") if not r.get("skipped")]


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_rejected_naming_the_variable_and_rule(bad_input_run, case):
    run, _calls = bad_input_run
    host = case.replace("_", "-")
    failures = [
        r
        for p in run.output["plays"]
        for t in p["tasks"]
        for h, r in t["hosts"].items()
        if h == host and r.get("failed")
    ]
    assert failures, f"{case} was not rejected"
    message = json.dumps(failures[0].get("msg"))
    for expected in BAD_INPUT[case][1]:
        assert expected in message, message
