"""kube_rollout on the dev (EKS) inventory: deploys, a bad image, rollbacks, scaling, check mode and bad input,
each verified by reading the Deployment and its ReplicaSets back from the Kubernetes fake."""

from __future__ import annotations

import pytest

from ansible_collections.stackops.platform.plugins.module_utils._kube.apply import Connection
from ansible_collections.stackops.platform.plugins.module_utils._kube.token import eks_token

CONVERGE = "tests/integration/playbooks/cluster_eks.yml"  # network + security + cluster
PLAYBOOK = "tests/integration/playbooks/kube_rollout.yml"
HOST = "dev-use1"
CLUSTER = "moneytrack-dev"
NAMESPACE = "money-tracking-dev"
TASK = "Run kube_rollout"
REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
STEP = 0.3  # seconds for a Pod to become ready in these tests


def kube(emulator):
    cluster = emulator.boto3_client("eks").describe_cluster(name=CLUSTER)["cluster"]
    token = eks_token(emulator.boto3_client("sts"), CLUSTER)
    return Connection(cluster["endpoint"], cluster["certificateAuthority"]["data"], token)


def read(emulator, name):
    """The Deployment and its ReplicaSets (revision, images, replicas), from the API."""
    api = kube(emulator)
    try:
        deployment = api.call("GET", f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments/{name}")
        listing = api.call(
            "GET", f"/apis/apps/v1/namespaces/{NAMESPACE}/replicasets", query={"labelSelector": f"app={name}"}
        )
    finally:
        api.close()
    sets = sorted(
        (
            int(rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]),
            rs["spec"]["template"]["spec"]["containers"][0]["image"],
            rs["spec"]["replicas"],
        )
        for rs in listing["items"]
    )
    return deployment, sets


def image_of(deployment):
    return deployment["spec"]["template"]["spec"]["containers"][0]["image"]


def rollout_done(deployment):
    status, desired = deployment["status"], deployment["spec"]["replicas"]
    return (
        status["observedGeneration"] >= deployment["metadata"]["generation"]
        and status["updatedReplicas"] == status["availableReplicas"] == status["replicas"] == desired
    )


def patch(emulator, name, body):
    api = kube(emulator)
    try:
        api.call(
            "PATCH",
            f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments/{name}",
            body=body,
            content_type="application/merge-patch+json",
        )
    finally:
        api.close()


@pytest.fixture(scope="module")
def dev(emulator_session):
    from conftest import run_playbook

    emulator_session.reset()
    emulator_session.kube_rollouts(pod_ready_seconds=STEP, bad_images=["*:broken*"])
    converged = run_playbook(emulator_session, CONVERGE, inventory="inventories/dev")
    assert converged.rc == 0, converged.messages()

    def rollout(check=False, diff=False, **options):
        extra = {f"kube_rollout_{k}": v for k, v in options.items()}
        extra.setdefault("kube_rollout_namespace", NAMESPACE)
        return run_playbook(
            emulator_session, PLAYBOOK, inventory="inventories/dev", extra_vars=extra, check=check, diff=diff
        )

    return emulator_session, rollout


def test_set_image_rolls_out_and_a_second_run_changes_nothing(dev):
    emulator, rollout = dev
    image = f"{REGISTRY}/auth-service:1.1.0"
    run = rollout(name="auth-service", action="set_image", images={"auth-service": image})
    assert run.rc == 0, run.messages()
    result = run.result(TASK, HOST)
    assert result["changed"] and result["deployment"]["revision"] == 2
    assert result["previous"] == {"revision": 1, "images": {"auth-service": f"{REGISTRY}/auth-service:1.0.0"}}
    assert [p["phase"] for p in result["phases"]] == ["preflight", "set_image", "wait", "verify"]
    deployment, sets = read(emulator, "auth-service")
    assert image_of(deployment) == image and rollout_done(deployment)
    assert sets == [(1, f"{REGISTRY}/auth-service:1.0.0", 0), (2, image, 1)]
    emulator.clear_calls()
    emulator.kube_calls(clear=True)
    again = rollout(name="auth-service", action="set_image", images={"auth-service": image})
    assert again.rc == 0 and again.changed() == 0
    assert emulator.kube_calls()["writes"] == 0 and emulator.writes() == []


def test_a_bad_image_fails_on_the_progress_deadline_and_rolls_back_when_asked(dev):
    emulator, rollout = dev
    patch(emulator, "bank-service", {"spec": {"progressDeadlineSeconds": 2}})
    good = f"{REGISTRY}/bank-service:1.0.0"
    run = rollout(name="bank-service", action="set_image", images={"bank-service": f"{REGISTRY}/bank-service:broken"})
    assert run.rc != 0
    assert 'Deployment "bank-service" exceeded its progress deadline' in run.messages()
    deployment, sets = read(emulator, "bank-service")
    assert image_of(deployment) == f"{REGISTRY}/bank-service:broken"  # left as the controller leaves it
    assert deployment["status"]["availableReplicas"] == 1  # maxUnavailable 0: the old Pod still serves
    again = rollout(name="bank-service", action="rollback", wait_timeout=30)  # by hand: back to revision 1's template
    assert again.rc == 0, again.messages()
    run = rollout(
        name="bank-service",
        action="set_image",
        images={"bank-service": f"{REGISTRY}/bank-service:broken-2"},
        rollback=True,
    )
    assert run.rc != 0
    failed = run.result(TASK, HOST)
    assert "exceeded its progress deadline" in failed["msg"] and "rolled back" in failed["msg"]
    assert [p["phase"] for p in failed["phases"]][-2:] == ["rollback", "wait_rollback"]
    assert failed["rolled_back_to"] == f"revision {failed['deployment']['revision']}"
    deployment, sets = read(emulator, "bank-service")
    assert image_of(deployment) == good and rollout_done(deployment)
    assert [s for s in sets if s[2]] == [(max(s[0] for s in sets), good, 1)]  # only the good template runs


def test_rollback_keeps_other_annotations_and_a_second_rollback_changes_nothing(dev):
    emulator, rollout = dev
    patch(emulator, "transaction-service", {"metadata": {"annotations": {"team": "payments", "runbook": "tx"}}})
    new = f"{REGISTRY}/transaction-service:1.1.0"
    assert rollout(name="transaction-service", action="set_image", images={"transaction-service": new}).rc == 0
    run = rollout(name="transaction-service", action="rollback")
    assert run.rc == 0, run.messages()
    result = run.result(TASK, HOST)
    assert result["changes"] == [
        f"roll back Deployment {NAMESPACE}/transaction-service from revision 2 (transaction-service={new}) "
        f"to revision 1 (transaction-service={REGISTRY}/transaction-service:1.0.0)"
    ]
    deployment, sets = read(emulator, "transaction-service")
    annotations = deployment["metadata"]["annotations"]
    assert annotations["team"] == "payments" and annotations["runbook"] == "tx"
    assert "stackops.platform/last-applied" in annotations  # kube_objects' record survives too
    assert annotations["deployment.kubernetes.io/revision"] == "3"
    assert image_of(deployment) == f"{REGISTRY}/transaction-service:1.0.0" and rollout_done(deployment)
    emulator.kube_calls(clear=True)
    second = rollout(name="transaction-service", action="rollback")
    assert second.rc == 0 and second.changed() == 0
    assert emulator.kube_calls()["writes"] == 0
    assert read(emulator, "transaction-service")[1] == sets


def test_check_mode_makes_no_write_in_aws_or_kubernetes(dev):
    emulator, rollout = dev
    before = read(emulator, "user-service")
    emulator.clear_calls()
    emulator.kube_calls(clear=True)
    plans = [
        rollout(check=True, diff=True, name="user-service", action="set_image", tag="2.0.0"),
        rollout(check=True, name="user-service", action="restart"),
        rollout(check=True, name="user-service", action="scale", replicas=2),
        rollout(check=True, name="user-service", action="scale", min_replicas=2, max_replicas=6, replicas=2),
    ]
    for plan in plans:
        assert plan.rc == 0, plan.messages()
    assert plans[0].result(TASK, HOST)["changes"] == [
        f"set the images of Deployment {NAMESPACE}/user-service: "
        f"user-service {REGISTRY}/user-service:1.0.0 -> {REGISTRY}/user-service:2.0.0"
    ]
    assert plans[0].result(TASK, HOST)["diff"]["after"]["images"] == {"user-service": f"{REGISTRY}/user-service:2.0.0"}
    assert plans[3].result(TASK, HOST)["changes"] == [
        f"set the bounds of autoscaler {NAMESPACE}/user-service-hpa from 1..3 to 2..6",
        f"scale Deployment {NAMESPACE}/user-service from 1 to 2 replicas",
    ]
    calls = emulator.kube_calls()
    assert calls["writes"] == 0 and calls["reads"] > 0
    assert emulator.writes() == []
    assert read(emulator, "user-service") == before


def test_scale_under_the_autoscaler_sets_its_bounds(dev):
    emulator, rollout = dev
    refused = rollout(name="user-service", action="scale", replicas=5)
    assert refused.rc != 0
    assert "replicas: 5 is outside 1..3, the bounds of the autoscaler user-service-hpa" in refused.messages()
    run = rollout(name="user-service", action="scale", replicas=4, min_replicas=4, max_replicas=8)
    assert run.rc == 0, run.messages()
    api = kube(emulator)
    try:
        hpa = api.call("GET", f"/apis/autoscaling/v2/namespaces/{NAMESPACE}/horizontalpodautoscalers/user-service-hpa")
    finally:
        api.close()
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (4, 8)
    deployment, _sets = read(emulator, "user-service")
    assert deployment["spec"]["replicas"] == 4 and rollout_done(deployment)


BAD_INPUT = {
    "no cluster": ({"cluster_name": None}, "cluster_name: give cluster_name (an EKS cluster) or kubeconfig"),
    "cluster and kubeconfig": ({"kubeconfig": "/etc/hostname"}, "exactly one"),
    "namespace": ({"namespace": "Money_Tracking"}, "namespace: 'Money_Tracking' is not a Kubernetes namespace name"),
    "name": ({"name": "user_service"}, "name: 'user_service' is not a Deployment name"),
    "no images": ({}, "images: set_image needs images (container: image) or tag"),
    "images and tag": ({"images": {"user-service": "a:1"}, "tag": "2"}, "tag: give images or tag, not both"),
    "image": ({"images": {"user-service": "User Service:1"}}, "images.user-service: 'User Service:1' is not a"),
    "tag": ({"tag": ".hidden"}, "tag: '.hidden' is not an image tag"),
    "replicas with set_image": ({"tag": "2", "replicas": 3}, "replicas: only for action scale"),
    "revision 0": ({"action": "rollback", "revision": 0}, "revision: 0 is not a revision"),
    "negative replicas": ({"action": "scale", "replicas": -2}, "replicas: -2 must be 0 or more"),
    "min above max": ({"action": "scale", "min_replicas": 6, "max_replicas": 2}, "min_replicas: 6 is more than"),
    "wait_timeout": ({"action": "restart", "wait_timeout": 0}, "wait_timeout: 0 must be more than 0 seconds"),
}


@pytest.fixture(scope="module")
def bad_input_run(dev):
    from conftest import run_playbook

    emulator, _rollout = dev
    cases = []
    for case, (options, _message) in BAD_INPUT.items():
        item = {"case": case, "cluster_name": CLUSTER, **options}
        cases.append({k: v for k, v in item.items() if v is not None})
    emulator.clear_calls()
    emulator.kube_calls(clear=True)
    run = run_playbook(
        emulator,
        PLAYBOOK,
        inventory="inventories/dev",
        extra_vars={"kube_rollout_cases": cases, "kube_rollout_namespace": NAMESPACE, "kube_rollout_name": "-"},
    )
    results = {r["item"]["case"]: r for r in run.result("Run kube_rollout per case", HOST)["results"]}
    return results, emulator.calls()["calls"], emulator.kube_calls()["calls"]


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_refused_before_any_call(bad_input_run, case):
    results, aws_calls, kube_calls = bad_input_run
    assert results[case].get("failed"), results[case]
    assert BAD_INPUT[case][1] in results[case]["msg"]
    assert aws_calls == [] and kube_calls == []


def test_the_service_state_for_the_lookup_is_found_by_tags(dev):
    from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
    from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

    from ansible_collections.stackops.platform.plugins.module_utils._kube.service import eks_service

    emulator, rollout = dev
    image = f"{REGISTRY}/auth-service:1.2.0"
    assert rollout(name="auth-service", action="set_image", images={"auth-service": image}).rc == 0

    def client(service):
        return RetryingBotoClientWrapper(emulator.boto3_client(service), AWSRetry.jittered_backoff())

    emulator.kube_calls(clear=True)
    found = eks_service(client("eks"), client("sts"), "moneytrack", "dev", "auth-service")
    deployment, sets = read(emulator, "auth-service")
    assert found["exists"] and found["cluster_type"] == "eks" and found["cluster"] == CLUSTER
    assert found["namespace"] == NAMESPACE
    assert found["revision"] == int(deployment["metadata"]["annotations"]["deployment.kubernetes.io/revision"])
    assert found["images"] == {"auth-service": image}
    assert found["previous"] == {"revision": sets[-2][0], "images": {"auth-service": sets[-2][1]}}
    assert (found["desired"], found["running"]) == (1, 1) and found["rollout"] == "complete"
    assert found["autoscaling"] == {"min": 1, "max": 3, "name": "auth-service-hpa"}
    assert emulator.kube_calls()["writes"] == 0
    missing = eks_service(client("eks"), client("sts"), "moneytrack", "dev", "no-such-service")
    assert missing["exists"] is False and "no Deployment no-such-service" in missing["reason"]
    assert eks_service(client("eks"), client("sts"), "moneytrack", "qa", "auth-service")["exists"] is False
