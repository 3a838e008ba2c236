"""The emulator's ECS deployment behaviour: settings kept, deployments IN_PROGRESS then COMPLETED, old ones drained."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from stackops_emulator.behaviours import ecs_service_deployments as deployments
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


def _instant():
    behaviour = EcsServiceDeployments()
    behaviour.configure({"deploy_seconds": 0, "drain_seconds": 0})
    return behaviour


def test_a_deployment_completes_and_the_old_one_drains():
    behaviour = _instant()
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
        ("PRIMARY", "arn:aws:ecs:us-east-1:123456789012:task-definition/f:2"),
        ("ACTIVE", "arn:f:1"),
    ]
    described = _send(behaviour, "DescribeServices", {}, {"services": [{**SERVICE, "taskDefinition": "f:2"}]})[
        "services"
    ][0]
    assert [(d["status"], d["rolloutState"]) for d in described["deployments"]] == [("PRIMARY", "COMPLETED")]
    assert described["deploymentConfiguration"] == config


def test_an_update_that_changes_nothing_rolled_starts_no_deployment():
    behaviour = _instant()
    _send(behaviour, "CreateService", {"taskDefinition": "f:1"}, {"service": {**SERVICE, "taskDefinition": "f:1"}})
    _send(behaviour, "DescribeServices", {}, {"services": [SERVICE]})
    updated = _send(behaviour, "UpdateService", {"desiredCount": 3}, {"service": {**SERVICE, "desiredCount": 3}})[
        "service"
    ]
    assert [d["rolloutState"] for d in updated["deployments"]] == ["COMPLETED"]
    assert updated["runningCount"] == 3


# -- deployments over time, bad images and the circuit breaker ------------------------------------------------------

BREAKER = {"deploymentCircuitBreaker": {"enable": True, "rollback": True}, "maximumPercent": 200}
GOOD, BAD = (
    "arn:aws:ecs:us-east-1:123456789012:task-definition/f:1",
    "arn:aws:ecs:us-east-1:123456789012:task-definition/f:2",
)


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.fixture
def timed(monkeypatch):
    images = {GOOD: ["registry/demo/api:1.0.0"], BAD: ["registry/demo/api:9.9.9-bad"]}
    monkeypatch.setattr(deployments, "_images", lambda region, arn: images.get(arn, []))
    monkeypatch.setattr(deployments, "_set_moto_task_definition", lambda region, record, arn: None)
    clock = Clock()
    behaviour = EcsServiceDeployments(clock=clock)
    behaviour.configure(
        {"deploy_seconds": 2, "drain_seconds": 1, "task_fail_seconds": 0.5, "bad_images": ["api:9.9.9-bad"]}
    )
    return behaviour, clock


def _describe(behaviour, task_definition, desired=4):
    answer = {"services": [{**SERVICE, "desiredCount": desired, "taskDefinition": task_definition}]}
    return _send(behaviour, "DescribeServices", {}, answer)["services"][0]


def _deploy(behaviour, task_definition, desired=4, config=None, operation="UpdateService"):
    config = BREAKER if config is None else config
    asked = {"service": "api", "taskDefinition": task_definition, "deploymentConfiguration": config}
    answer = {"service": {**SERVICE, "desiredCount": desired, "taskDefinition": task_definition}}
    return _send(behaviour, operation, asked, answer)["service"]


def _states(service):
    return [(d["status"], d["rolloutState"], d["runningCount"]) for d in service["deployments"]]


def test_tasks_start_then_the_old_deployment_drains_then_completed(timed):
    behaviour, clock = timed
    _deploy(behaviour, GOOD, operation="CreateService")
    clock.now += 3
    assert _states(_describe(behaviour, GOOD)) == [("PRIMARY", "COMPLETED", 4)]
    updated = _deploy(behaviour, GOOD.replace("f:1", "f:3"))
    assert _states(updated) == [("PRIMARY", "IN_PROGRESS", 0), ("ACTIVE", "COMPLETED", 4)]
    clock.now += 1  # half the tasks started
    service = _describe(behaviour, "f:3")
    assert _states(service) == [("PRIMARY", "IN_PROGRESS", 2), ("ACTIVE", "COMPLETED", 4)]
    assert service["runningCount"] == 6 and service["pendingCount"] == 2
    clock.now += 1.5  # all new tasks up, the old ones half drained
    assert _states(_describe(behaviour, "f:3")) == [("PRIMARY", "IN_PROGRESS", 4), ("ACTIVE", "COMPLETED", 2)]
    clock.now += 0.5
    service = _describe(behaviour, "f:3")
    assert _states(service) == [("PRIMARY", "COMPLETED", 4)] and service["runningCount"] == 4
    assert service["taskDefinition"].endswith("task-definition/f:3")
    assert service["events"][0]["message"] == "(service api) has reached a steady state."
    assert "deployment completed" in service["events"][1]["message"]


def test_a_bad_image_trips_the_circuit_breaker_at_its_threshold_and_rolls_back(timed):
    behaviour, clock = timed
    _deploy(behaviour, GOOD, operation="CreateService")
    clock.now += 3
    _describe(behaviour, GOOD)
    _deploy(behaviour, BAD)
    clock.now += 1.4  # two failures: the threshold for 4 tasks is max(3, 2) = 3
    service = _describe(behaviour, BAD)
    assert [(d["rolloutState"], d["failedTasks"]) for d in service["deployments"]] == [
        ("IN_PROGRESS", 2),
        ("COMPLETED", 0),
    ]
    assert service["runningCount"] == 4  # the old tasks keep serving
    clock.now += 0.2  # the third failure (at 1.5 s): FAILED, and a rollback deployment of the last good one
    service = _describe(behaviour, BAD)
    assert [(d["status"], d["rolloutState"], d["taskDefinition"]) for d in service["deployments"]] == [
        ("PRIMARY", "IN_PROGRESS", GOOD),
        ("ACTIVE", "FAILED", BAD),
        ("ACTIVE", "COMPLETED", GOOD),
    ]
    assert service["deployments"][1]["failedTasks"] == 3
    assert service["taskDefinition"] == GOOD
    assert "deployment failed: tasks failed to start" in service["events"][1]["message"]
    clock.now += 3
    service = _describe(behaviour, BAD)
    assert _states(service) == [("PRIMARY", "COMPLETED", 4)] and service["taskDefinition"] == GOOD


def test_without_the_circuit_breaker_a_bad_deployment_never_ends(timed):
    behaviour, clock = timed
    _deploy(behaviour, GOOD, operation="CreateService", config={})
    clock.now += 3
    _describe(behaviour, GOOD)
    _deploy(behaviour, BAD, config={})
    clock.now += 60
    service = _describe(behaviour, BAD)
    assert [(d["rolloutState"], d["failedTasks"]) for d in service["deployments"]] == [
        ("IN_PROGRESS", 120),
        ("COMPLETED", 0),
    ]


def test_the_failure_threshold_is_half_the_desired_count_between_3_and_200():
    assert [deployments.failure_threshold(n) for n in (1, 2, 6, 7, 10, 400, 1000)] == [3, 3, 3, 4, 5, 200, 200]


def test_configure_refuses_unknown_settings():
    with pytest.raises(ValueError, match="unknown settings"):
        EcsServiceDeployments().configure({"deploy_second": 1})
