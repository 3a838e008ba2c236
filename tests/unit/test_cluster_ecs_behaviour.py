"""The emulator's ECS deployment behaviour: settings kept, deployments IN_PROGRESS then COMPLETED, old ones drained."""

from __future__ import annotations

import json
from dataclasses import dataclass

from stackops_emulator.behaviours.ecs_service_deployments import EcsServiceDeployments
from stackops_emulator.protocols import Response


@dataclass
class FakeCall:
    operation: str
    service: str = "ecs"
    region: str = "us-east-1"


@dataclass
class FakeRequest:
    call: FakeCall
    body: bytes


SERVICE = {"serviceName": "api", "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/c", "desiredCount": 2}


def _send(behaviour, operation, asked, answer):
    def forward(request):
        return Response(200, [("Content-Type", "application/json")], json.dumps(answer).encode())

    response = behaviour(FakeRequest(FakeCall(operation), json.dumps(asked).encode()), forward)
    return json.loads(response.body)


def test_a_deployment_completes_and_the_old_one_drains():
    behaviour = EcsServiceDeployments()
    config = {
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
    }
    created = _send(
        behaviour,
        "CreateService",
        {"serviceName": "api", "taskDefinition": "f:1", "deploymentConfiguration": config},
        {"service": {**SERVICE, "taskDefinition": "arn:f:1"}},
    )["service"]
    assert created["deploymentConfiguration"] == config
    assert [d["rolloutState"] for d in created["deployments"]] == ["IN_PROGRESS"] and created["runningCount"] == 0
    described = _send(behaviour, "DescribeServices", {}, {"services": [{**SERVICE, "taskDefinition": "arn:f:1"}]})[
        "services"
    ][0]
    assert [d["rolloutState"] for d in described["deployments"]] == ["COMPLETED"] and described["runningCount"] == 2
    updated = _send(
        behaviour,
        "UpdateService",
        {"service": "api", "taskDefinition": "f:2"},
        {"service": {**SERVICE, "taskDefinition": "f:2"}},
    )["service"]
    assert [(d["status"], d["taskDefinition"]) for d in updated["deployments"]] == [
        ("PRIMARY", "f:2"),
        ("ACTIVE", "arn:f:1"),
    ]
    described = _send(behaviour, "DescribeServices", {}, {"services": [{**SERVICE, "taskDefinition": "f:2"}]})[
        "services"
    ][0]
    assert [(d["status"], d["rolloutState"]) for d in described["deployments"]] == [("PRIMARY", "COMPLETED")]
    assert described["deploymentConfiguration"] == config


def test_an_update_that_changes_nothing_rolled_starts_no_deployment():
    behaviour = EcsServiceDeployments()
    _send(behaviour, "CreateService", {"taskDefinition": "f:1"}, {"service": {**SERVICE, "taskDefinition": "f:1"}})
    _send(behaviour, "DescribeServices", {}, {"services": [SERVICE]})
    updated = _send(behaviour, "UpdateService", {"desiredCount": 3}, {"service": {**SERVICE, "desiredCount": 3}})[
        "service"
    ]
    assert [d["rolloutState"] for d in updated["deployments"]] == ["COMPLETED"]
    assert updated["runningCount"] == 3
