"""The ECS procedure's pure parts and its decisions against a stubbed ECS (botocore Stubber)."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.stackops.platform.plugins.filter.runbooks import runbook_input_errors
from ansible_collections.stackops.platform.plugins.module_utils._ecs import rollout

ARN = "arn:aws:ecs:us-east-1:123456789012:task-definition/demo-local-api:{}"
SERVICE_ARN = "arn:aws:ecs:us-east-1:123456789012:service/demo-local/api"
REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo-local"


def test_image_helpers():
    assert rollout.with_tag(f"{REGISTRY}/api:1.0.0", "1.1.0") == f"{REGISTRY}/api:1.1.0"
    assert rollout.with_tag("localhost:5000/api@sha256:" + "a" * 64, "2") == "localhost:5000/api:2"
    assert rollout.short_image("api:1.2.0", f"{REGISTRY}/api:1.0.0") == f"{REGISTRY}/api:1.2.0"
    assert rollout.short_image("nginx:1.25", f"{REGISTRY}/api:1.0.0") == "nginx:1.25"
    assert rollout.short_image("ghcr.io/x/api:1", f"{REGISTRY}/api:1.0.0") == "ghcr.io/x/api:1"
    assert rollout.revision_of(ARN.format(7)) == "demo-local-api:7" and rollout.revision_number(ARN.format(7)) == 7


def _definition(revision, image, status="ACTIVE"):
    return {
        "taskDefinitionArn": ARN.format(revision),
        "family": "demo-local-api",
        "revision": revision,
        "status": status,
        "containerDefinitions": [{"name": "api", "image": f"{REGISTRY}/api:{image}", "essential": True}],
        "cpu": "256",
        "memory": "512",
    }


def _service(revision, tags=None, state="COMPLETED"):
    return {
        "serviceName": "api",
        "serviceArn": SERVICE_ARN,
        "status": "ACTIVE",
        "taskDefinition": ARN.format(revision),
        "desiredCount": 2,
        "runningCount": 2,
        "deployments": [
            {
                "id": "ecs-svc/1",
                "status": "PRIMARY",
                "taskDefinition": ARN.format(revision),
                "rolloutState": state,
                "runningCount": 2,
            }
        ],
        "tags": [{"key": k, "value": v} for k, v in (tags or {}).items()],
    }


@pytest.fixture
def ecs():
    client = boto3.client("ecs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


class _NoRetry:
    def __init__(self, client):
        self.client = client

    def __getattr__(self, name):
        method = getattr(self.client, name)

        def call(*args, aws_retry=False, **kwargs):  # pylint: disable=unused-argument  # drops aws_retry
            return method(*args, **kwargs)

        return call


def _procedure(client, check_mode=False, **params):
    base = {"cluster": "demo-local", "service": "api", "action": "deploy", "wait": True, "wait_timeout": 5}
    return rollout.EcsServiceProcedure({**base, **params}, {"ecs": _NoRetry(client)}, check_mode)


def _reads(stubber, service, current, previous_arns):
    stubber.add_response("describe_services", {"services": [service]})
    stubber.add_response("describe_task_definition", {"taskDefinition": current, "tags": []})
    if previous_arns is not None:
        stubber.add_response("list_task_definitions", {"taskDefinitionArns": previous_arns})


def test_a_rerun_reuses_the_identical_revision_an_interrupted_run_registered(ecs):
    client, stubber = ecs
    _reads(stubber, _service(1), _definition(1, "1.0.0"), [ARN.format(1)])
    stubber.add_response("list_task_definitions", {"taskDefinitionArns": [ARN.format(2), ARN.format(1)]})
    stubber.add_response("describe_task_definition", {"taskDefinition": _definition(2, "1.1.0"), "tags": []})
    procedure = _procedure(client, tag="1.1.0", wait=False)
    stubber.add_response("tag_resource", {})
    stubber.add_response(
        "update_service",
        {"service": _service(2, state="IN_PROGRESS")},
        {"cluster": "demo-local", "service": "api", "taskDefinition": ARN.format(2), "forceNewDeployment": False},
    )
    procedure.run()
    assert not procedure.registered and procedure.changes.items == [
        "deploy ECS service api: demo-local-api:1 -> demo-local-api:2"
    ]


def test_check_mode_registers_and_updates_nothing(ecs):
    client, stubber = ecs
    _reads(stubber, _service(3), _definition(3, "1.0.0"), [ARN.format(3)])
    stubber.add_response("list_task_definitions", {"taskDefinitionArns": [ARN.format(3)]})
    procedure = _procedure(client, check_mode=True, tag="2.0.0")
    procedure.run()  # a write call would find no stubbed response and fail
    assert [c.split(" (")[0] for c in procedure.changes.items] == [
        "register task definition demo-local-api:4",
        "deploy ECS service api: demo-local-api:3 -> demo-local-api:4",
    ]
    assert procedure.after()["images"] == {"api": f"{REGISTRY}/api:2.0.0"}


def test_a_second_rollback_is_a_no_op(ecs):
    client, stubber = ecs
    tags = {rollout.TAG_FROM: "demo-local-api:5", rollout.TAG_TO: "demo-local-api:4", rollout.TAG_KIND: "rollback"}
    stubber.add_response("describe_services", {"services": [_service(4, tags)]})
    stubber.add_response("describe_task_definition", {"taskDefinition": _definition(4, "1.0.0"), "tags": []})
    procedure = _procedure(client, action="rollback")
    procedure.run()
    assert procedure.changes.items == [] and "already rolled back" in procedure.warnings[0]
    assert procedure.result()["previous_revision"] == "demo-local-api:5"


def test_the_previous_revision_without_tags_is_the_newest_older_active_one(ecs):
    client, stubber = ecs
    stubber.add_response("list_task_definitions", {"taskDefinitionArns": [ARN.format(9), ARN.format(7), ARN.format(6)]})
    service = {**_service(8), "tagMap": {}}
    assert rollout.previous_revision(_NoRetry(client), service) == ARN.format(7)


def test_runbook_input_errors_name_the_variable():
    assert runbook_input_errors({"service": "api", "tag": "1.4.3"}, "deploy") == []
    assert runbook_input_errors({"service": "api", "count": 3, "min": 4}, "scale") == ["count: 3 is below min 4"]
    errors = runbook_input_errors({"service": "api", "image": "Bad Image", "tag": "1"}, "deploy")
    assert [e.split(":", maxsplit=1)[0] for e in errors] == ["image, tag", "image"]
    assert runbook_input_errors({"service": "api", "lines": 0}, "diagnose") == ["lines: 0 is out of range (1 to 1000)"]
