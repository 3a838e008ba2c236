"""The runbooks on an EKS platform (inventories/dev, seed 001) converged on the emulator: deploy, roll back, scale,
restart, diagnose. Results are read back from the Kubernetes fake; "no write" claims are checked against the
emulator's and the fake's request logs."""

from __future__ import annotations

import json

import pytest
from conftest import run_playbook

from ansible_collections.stackops.platform.plugins.module_utils._kube.apply import Connection
from ansible_collections.stackops.platform.plugins.module_utils._kube.token import eks_token

STACK = "tests/integration/playbooks/cluster_eks.yml"
INVENTORY, HOST, CLUSTER, NAMESPACE = "inventories/dev", "dev-use1", "moneytrack-dev", "money-tracking-dev"
REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
FAST = {"pod_ready_seconds": 0.3, "bad_images": ["*:broken*"]}


@pytest.fixture(scope="module")
def eks_platform(emulator_session, tmp_path_factory):
    emulator_session.reset()
    emulator_session.kube_rollouts(**FAST)
    run = run_playbook(emulator_session, STACK, inventory=INVENTORY)
    assert run.rc == 0, run.messages()
    return tmp_path_factory.mktemp("records")


@pytest.fixture
def platform(emulator_session, eks_platform):
    emulator_session.kube_rollouts(**FAST)
    emulator_session.clear_calls()
    emulator_session.kube_calls(clear=True)
    return emulator_session


def runbook(emulator, name, records, check=False, **extra):
    return run_playbook(
        emulator,
        f"playbooks/runbooks/{name}.yml",
        inventory=INVENTORY,
        extra_vars=extra,
        check=check,
        env={"STACKOPS_TIMELINE_DIR": str(records)},
    )


def api_call(emulator, method, path, body=None):
    cluster = emulator.boto3_client("eks").describe_cluster(name=CLUSTER)["cluster"]
    token = eks_token(emulator.boto3_client("sts"), CLUSTER)
    api = Connection(cluster["endpoint"], cluster["certificateAuthority"]["data"], token)
    try:
        return api.call(method, path, body=body, content_type="application/merge-patch+json")
    finally:
        api.close()


def deployment(emulator, name):
    return api_call(emulator, "GET", f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments/{name}")


def image(emulator, name):
    return deployment(emulator, name)["spec"]["template"]["spec"]["containers"][0]["image"]


def settled(found):
    status, desired = found["status"], found["spec"]["replicas"]
    return (
        status["observedGeneration"] >= found["metadata"]["generation"]
        and status["updatedReplicas"] == status["availableReplicas"] == status["replicas"] == desired
    )


def revision(found):
    return int(found["metadata"]["annotations"]["deployment.kubernetes.io/revision"])


def kube_writes(emulator):
    return emulator.kube_calls()["writes"]


def test_deploy_rolls_out_and_a_rerun_changes_nothing(platform, eks_platform):
    run = runbook(platform, "deploy", eks_platform, service="auth-service", tag="1.1.0")
    assert run.rc == 0, run.messages()
    found = deployment(platform, "auth-service")
    assert image(platform, "auth-service") == f"{REGISTRY}/auth-service:1.1.0" and settled(found)
    assert revision(found) == 2
    assert platform.writes() == []  # AWS is only read; the write is the Deployment's
    assert kube_writes(platform) == 1
    records = list(eks_platform.glob("*deploy*.json"))
    assert records and json.loads(records[-1].read_text())["runbook"] == "deploy"
    platform.kube_calls(clear=True)
    again = runbook(platform, "deploy", eks_platform, service="auth-service", tag="1.1.0")
    assert again.rc == 0, again.messages()
    assert kube_writes(platform) == 0 and revision(deployment(platform, "auth-service")) == 2


def test_a_bad_image_fails_on_the_progress_deadline_and_the_deployment_is_rolled_back(platform, eks_platform):
    api_call(
        platform,
        "PATCH",
        f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments/bank-service",
        {"spec": {"progressDeadlineSeconds": 2}},
    )
    before = image(platform, "bank-service")
    run = runbook(platform, "deploy", eks_platform, service="bank-service", tag="broken")
    assert run.rc != 0
    assert "exceeded its progress deadline" in run.messages()
    found = deployment(platform, "bank-service")
    assert image(platform, "bank-service") == before and settled(found)
    assert revision(found) == 3  # 1 -> 2 (broken) -> 3 (revision 1's template again)


def test_rollback_keeps_annotations_and_a_second_rollback_changes_nothing(platform, eks_platform):
    path = f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments/transaction-service"
    api_call(platform, "PATCH", path, {"metadata": {"annotations": {"team": "payments"}}})
    assert runbook(platform, "deploy", eks_platform, service="transaction-service", tag="1.1.0").rc == 0
    run = runbook(platform, "rollback", eks_platform, service="transaction-service")
    assert run.rc == 0, run.messages()
    found = deployment(platform, "transaction-service")
    assert image(platform, "transaction-service") == f"{REGISTRY}/transaction-service:1.0.0" and settled(found)
    assert found["metadata"]["annotations"]["team"] == "payments" and revision(found) == 3
    platform.kube_calls(clear=True)
    again = runbook(platform, "rollback", eks_platform, service="transaction-service")
    assert again.rc == 0, again.messages()
    assert kube_writes(platform) == 0
    assert image(platform, "transaction-service") == f"{REGISTRY}/transaction-service:1.0.0"


def test_scale_sets_the_autoscaler_bounds_and_the_count(platform, eks_platform):
    run = runbook(platform, "scale", eks_platform, service="user-service", count=3, min=3, max=6)
    assert run.rc == 0, run.messages()
    hpa = api_call(
        platform, "GET", f"/apis/autoscaling/v2/namespaces/{NAMESPACE}/horizontalpodautoscalers/user-service-hpa"
    )
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (3, 6)
    found = deployment(platform, "user-service")
    assert found["spec"]["replicas"] == 3 and settled(found)


def test_restart_replaces_every_pod_with_the_same_images(platform, eks_platform):
    before = deployment(platform, "user-service")
    run = runbook(platform, "restart", eks_platform, service="user-service")
    assert run.rc == 0, run.messages()
    found = deployment(platform, "user-service")
    assert "kubectl.kubernetes.io/restartedAt" in found["spec"]["template"]["metadata"]["annotations"]
    assert revision(found) == revision(before) + 1 and settled(found)
    assert found["spec"]["template"]["spec"]["containers"] == before["spec"]["template"]["spec"]["containers"]


def test_check_mode_writes_nothing_anywhere(platform, eks_platform):
    deployed = runbook(
        platform, "deploy", eks_platform, service="auth-service", tag="1.5.0"
    )  # a revision to go back to
    assert deployed.rc == 0, deployed.messages()
    platform.clear_calls()
    platform.kube_calls(clear=True)
    before = deployment(platform, "auth-service")
    for name, extra in (
        ("deploy", {"tag": "9.9.9"}),
        ("rollback", {}),
        ("scale", {"count": 2}),
        ("restart", {}),
    ):
        run = runbook(platform, name, eks_platform, check=True, service="auth-service", **extra)
        assert run.rc == 0, (name, run.messages())
    assert kube_writes(platform) == 0 and platform.writes() == []
    after = deployment(platform, "auth-service")
    assert after["spec"] == before["spec"] and after["metadata"]["annotations"] == before["metadata"]["annotations"]


def test_diagnose_reads_only(platform, eks_platform):
    run = runbook(platform, "diagnose", eks_platform, service="user-service")
    assert run.rc == 0, run.messages()
    assert kube_writes(platform) == 0 and platform.writes() == []
