"""The fake's Deployment controller (ReplicaSets, revisions, rollouts over time, progress deadline) and the
rollout procedure of kube_rollout against it."""

from __future__ import annotations

import json
import time

import boto3
import pytest

from ansible_collections.stackops.platform.plugins.module_utils._kube import apply as ap
from ansible_collections.stackops.platform.plugins.module_utils._kube import rollout as ro
from ansible_collections.stackops.platform.plugins.module_utils._kube.token import eks_token
from ansible_collections.stackops.platform.plugins.module_utils.platform import PlatformError
from ansible_collections.stackops.platform.plugins.module_utils.platform import PreconditionFailed
from ansible_collections.stackops.platform.plugins.module_utils.platform import ResourceTimeout
from stackops_emulator.kube import KubeFake

CLUSTER = "demo-local"
NS = "app"
DEPLOYMENTS = f"/apis/apps/v1/namespaces/{NS}/deployments"
STEP = 0.1  # pod_ready_seconds for these tests


def sts():
    return boto3.client(
        "sts",
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        endpoint_url="https://sts.us-east-1.amazonaws.com",
    )


@pytest.fixture(scope="module")
def fake():
    server = KubeFake()
    yield server
    server.server.shutdown()


@pytest.fixture
def connect(fake):
    fake.reset()
    fake.configure_rollouts({"pod_ready_seconds": STEP, "bad_images": ["*:broken"]})
    opened = []

    def make():
        connection = ap.Connection(fake.url("us-east-1", CLUSTER), fake.ca_data, eks_token(sts(), CLUSTER))
        opened.append(connection)
        return connection

    yield make
    for connection in opened:
        connection.close()


@pytest.fixture
def api(connect):
    api = connect()
    api.call("POST", "/api/v1/namespaces", body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    return api


def deployment(replicas=4, image="api:1", strategy=None, annotations=None, deadline=None):
    obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "api", "annotations": dict(annotations or {})},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "api"}},
            "template": {
                "metadata": {"labels": {"app": "api"}},
                "spec": {"containers": [{"name": "api", "image": image}, {"name": "proxy", "image": "envoy:1.30"}]},
            },
        },
    }
    if strategy:
        obj["spec"]["strategy"] = strategy
    if deadline:
        obj["spec"]["progressDeadlineSeconds"] = deadline
    return obj


def settle(api, name="api", timeout=5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        live = api.call("GET", f"{DEPLOYMENTS}/{name}")
        if ro.rollout_state(live)[0] != "progressing":
            return live
        time.sleep(STEP / 2)
    raise AssertionError(f"no settle: {live['status']}")


def replica_sets(api):
    items = api.call("GET", f"/apis/apps/v1/namespaces/{NS}/replicasets")["items"]
    return sorted(
        (
            int(rs["metadata"]["annotations"][ro.REVISION]),
            rs["spec"]["template"]["spec"]["containers"][0]["image"],
            rs["spec"]["replicas"],
        )
        for rs in items
    )


def procedure(connect, check=False, **params):
    base = {
        "cluster_name": CLUSTER,
        "kubeconfig": None,
        "namespace": NS,
        "name": "api",
        "wait": True,
        "wait_timeout": 10,
        "rollback": False,
    }
    base.update(params)
    assert ro.validate(base) == []
    run = ro.Rollout(connect, base, check, poll=STEP / 2)
    try:
        run.run()
    finally:
        run.close()
    return run


# -- the controller -------------------------------------------------------------------------------------------------


def test_a_template_change_makes_a_replica_set_with_the_next_revision_and_rolls_over_time(api):
    api.call("POST", DEPLOYMENTS, body=deployment())
    settle(api)
    live = api.call("GET", f"{DEPLOYMENTS}/api")
    live["spec"]["template"]["spec"]["containers"][0]["image"] = "api:2"
    written = api.call("PUT", f"{DEPLOYMENTS}/api", body=live)
    assert written["metadata"]["annotations"][ro.REVISION] == "2"
    assert ro.rollout_state(written)[0] == "progressing"
    # maxSurge 25% of 4 -> 1, maxUnavailable 25% -> 1: at most 5 Pods, at least 3 available, in the first round
    status = written["status"]
    assert status["replicas"] == 5 and status["updatedReplicas"] == 2 and status["availableReplicas"] == 3
    assert status["observedGeneration"] == written["metadata"]["generation"] == 2
    done = settle(api)
    assert ro.rollout_state(done)[0] == "complete"
    assert replica_sets(api) == [(1, "api:1", 0), (2, "api:2", 4)]
    sets = api.call("GET", f"/apis/apps/v1/namespaces/{NS}/replicasets")["items"]
    for rs in sets:
        pod_hash = rs["metadata"]["labels"]["pod-template-hash"]
        assert rs["metadata"]["name"] == f"api-{pod_hash}"
        assert rs["spec"]["selector"]["matchLabels"]["pod-template-hash"] == pod_hash
        assert rs["metadata"]["ownerReferences"][0]["uid"] == done["metadata"]["uid"]
    progressing = next(c for c in done["status"]["conditions"] if c["type"] == "Progressing")
    assert progressing["reason"] == "NewReplicaSetAvailable"


def test_scaling_is_no_new_revision_and_an_old_template_takes_the_next_number(api):
    api.call("POST", DEPLOYMENTS, body=deployment(replicas=2))
    settle(api)
    for image in ("api:2", "api:1"):
        live = api.call("GET", f"{DEPLOYMENTS}/api")
        live["spec"]["template"]["spec"]["containers"][0]["image"] = image
        api.call("PUT", f"{DEPLOYMENTS}/api", body=live)
        settle(api)
    assert replica_sets(api) == [(2, "api:2", 0), (3, "api:1", 2)]  # revision 1 became 3: one ReplicaSet per template
    api.call("PATCH", f"{DEPLOYMENTS}/api", body={"spec": {"replicas": 5}}, content_type="application/merge-patch+json")
    live = settle(api)
    assert live["metadata"]["annotations"][ro.REVISION] == "3" and live["status"]["availableReplicas"] == 5


def test_a_bad_image_never_gets_ready_and_exceeds_the_progress_deadline(api):
    api.call("POST", DEPLOYMENTS, body=deployment(replicas=4, deadline=1))
    settle(api)
    live = api.call("GET", f"{DEPLOYMENTS}/api")
    live["spec"]["template"]["spec"]["containers"][0]["image"] = "api:broken"
    api.call("PUT", f"{DEPLOYMENTS}/api", body=live)
    time.sleep(0.5)
    stuck = api.call("GET", f"{DEPLOYMENTS}/api")
    assert ro.rollout_state(stuck)[0] == "progressing"
    assert stuck["status"]["availableReplicas"] == 3  # maxUnavailable keeps 3 of the old Pods serving
    failed = settle(api, timeout=3)
    state, why = ro.rollout_state(failed)
    assert state == "failed" and "exceeded its progress deadline" in why
    progressing = next(c for c in failed["status"]["conditions"] if c["type"] == "Progressing")
    assert (progressing["status"], progressing["reason"]) == ("False", "ProgressDeadlineExceeded")
    assert replica_sets(api) == [(1, "api:1", 3), (2, "api:broken", 2)]  # no automatic rollback


def test_revision_history_limit_and_garbage_collection(api):
    obj = deployment(replicas=1)
    obj["spec"]["revisionHistoryLimit"] = 1
    api.call("POST", DEPLOYMENTS, body=obj)
    for image in ("api:2", "api:3"):
        settle(api)
        live = api.call("GET", f"{DEPLOYMENTS}/api")
        live["spec"]["template"]["spec"]["containers"][0]["image"] = image
        api.call("PUT", f"{DEPLOYMENTS}/api", body=live)
    settle(api)
    assert [r[0] for r in replica_sets(api)] == [2, 3]
    with pytest.raises(ap.ApiException) as refused:
        api.call("DELETE", f"/apis/apps/v1/namespaces/{NS}/replicasets/anything")
    assert refused.value.status == 405
    api.call("DELETE", f"{DEPLOYMENTS}/api")
    assert replica_sets(api) == []


def test_recreate_takes_every_old_pod_down_first(api):
    api.call("POST", DEPLOYMENTS, body=deployment(replicas=3, strategy={"type": "Recreate"}))
    settle(api)
    live = api.call("GET", f"{DEPLOYMENTS}/api")
    live["spec"]["template"]["spec"]["containers"][0]["image"] = "api:2"
    written = api.call("PUT", f"{DEPLOYMENTS}/api", body=live)
    assert written["status"]["availableReplicas"] == 0 and written["status"]["updatedReplicas"] == 3


def test_the_control_settings_are_checked(fake):
    with pytest.raises(ValueError, match="unknown rollout settings"):
        fake.configure_rollouts({"pod_ready": 1})
    code, body = fake.handle("PUT", "/_stackops/rollouts", {}, json.dumps({"pod_ready_seconds": -1}).encode())
    assert code == 400 and "0 or more" in body["message"]


# -- the procedure ------------------------------------------------------------------------------------------------------


def test_set_image_waits_for_the_rollout_and_a_rerun_changes_nothing(api, connect):
    api.call("POST", DEPLOYMENTS, body=deployment())
    settle(api)
    run = procedure(connect, action="set_image", images={"api": "api:2"})
    assert run.changes.items == ["set the images of Deployment app/api: api api:1 -> api:2"]
    result = run.result()
    assert result["revision"] == 2 and result["images"] == {"api": "api:2", "proxy": "envoy:1.30"}
    assert result["available_replicas"] == result["updated_replicas"] == 4 and result["rollout"] == "complete"
    assert run.extra_result()["previous"] == {"revision": 1, "images": {"api": "api:1", "proxy": "envoy:1.30"}}
    assert [p["phase"] for p in run.phases.items] == ["preflight", "set_image", "wait", "verify"]
    assert replica_sets(api) == [(1, "api:1", 0), (2, "api:2", 4)]  # verified on the API, not from the result
    writes = api.writes
    again = procedure(connect, action="set_image", images={"api": "api:2"})
    assert again.changes.items == [] and api.writes == writes


def test_one_tag_for_every_container(api, connect):
    api.call("POST", DEPLOYMENTS, body=deployment(replicas=1, image="registry.local:5000/team/api@sha256:" + "a" * 64))
    settle(api)
    procedure(connect, action="set_image", tag="v7")
    live = api.call("GET", f"{DEPLOYMENTS}/api")
    assert ro.images_of(live["spec"]["template"]) == {"api": "registry.local:5000/team/api:v7", "proxy": "envoy:v7"}


def test_a_rerun_during_a_rollout_waits_for_it_instead_of_starting_another(api, connect):
    api.call("POST", DEPLOYMENTS, body=deployment())
    settle(api)
    procedure(connect, action="set_image", images={"api": "api:2"}, wait=False)
    assert ro.rollout_state(api.call("GET", f"{DEPLOYMENTS}/api"))[0] == "progressing"
    again = procedure(connect, action="set_image", images={"api": "api:2"})
    assert again.changes.items == [] and again.result()["rollout"] == "complete"
    assert [r[0] for r in replica_sets(api)] == [1, 2]


def test_progress_deadline_fails_and_rollback_puts_the_old_images_back(api, connect):
    api.call("POST", DEPLOYMENTS, body=deployment(replicas=2, deadline=1))
    settle(api)
    with pytest.raises(PlatformError, match="exceeded its progress deadline"):
        procedure(connect, action="set_image", images={"api": "api:broken"})
    assert replica_sets(api)[-1][1] == "api:broken"  # left as it is without rollback
    procedure(connect, action="rollback")  # by hand: revision 1's template is revision 3 now
    with pytest.raises(PlatformError, match="rolled back: Deployment app/api runs revision 5"):
        procedure(connect, action="set_image", images={"api": "api:broken"}, rollback=True)
    live = api.call("GET", f"{DEPLOYMENTS}/api")
    assert ro.images_of(live["spec"]["template"])["api"] == "api:1" and ro.rollout_state(live)[0] == "complete"


def test_a_timeout_names_the_deployment_and_its_last_state(api, connect):
    api.call("POST", DEPLOYMENTS, body=deployment(replicas=2))
    settle(api)
    with pytest.raises(
        ResourceTimeout, match=r"rollout of Deployment app/api \(last state: 1 of 2 new replicas have been updated\)"
    ):
        procedure(connect, action="set_image", images={"api": "api:broken"}, wait_timeout=1)


def test_rollback_keeps_annotations_and_a_second_run_is_a_no_op(api, connect):
    api.call("POST", DEPLOYMENTS, body=deployment(replicas=2, annotations={"team": "payments", "oncall": "#pay"}))
    settle(api)
    procedure(connect, action="set_image", images={"api": "api:2"})
    run = procedure(connect, action="rollback")
    assert run.changes.items == [
        "roll back Deployment app/api from revision 2 (api=api:2, proxy=envoy:1.30) "
        "to revision 1 (api=api:1, proxy=envoy:1.30)"
    ]
    live = api.call("GET", f"{DEPLOYMENTS}/api")
    annotations = live["metadata"]["annotations"]
    assert annotations["team"] == "payments" and annotations["oncall"] == "#pay"
    assert annotations[ro.REVISION] == "3" and ro.images_of(live["spec"]["template"])["api"] == "api:1"
    writes = api.writes
    again = procedure(connect, action="rollback")
    assert again.changes.items == [] and api.writes == writes
    assert "already rolled back" in again.warnings[0]
    assert ro.images_of(api.call("GET", f"{DEPLOYMENTS}/api")["spec"]["template"])["api"] == "api:1"
    # a new deploy after that can be rolled back again
    procedure(connect, action="set_image", images={"api": "api:3"})
    assert (
        procedure(connect, action="rollback").changes.items[0].endswith("to revision 3 (api=api:1, proxy=envoy:1.30)")
    )


def test_rollback_to_a_revision_and_refusals(api, connect):
    api.call("POST", DEPLOYMENTS, body=deployment(replicas=1))
    settle(api)
    with pytest.raises(PreconditionFailed, match="no previous revision"):
        procedure(connect, action="rollback")
    for image in ("api:2", "api:3"):
        procedure(connect, action="set_image", images={"api": image})
    with pytest.raises(PreconditionFailed, match=r"revision: 9 is not in the rollout history .*\(revisions: 1, 2, 3\)"):
        procedure(connect, action="rollback", revision=9)
    procedure(connect, action="rollback", revision=1)
    assert ro.images_of(api.call("GET", f"{DEPLOYMENTS}/api")["spec"]["template"])["api"] == "api:1"
    with pytest.raises(PreconditionFailed, match=r"images\.worker: Deployment app/api has no container worker"):
        procedure(connect, action="set_image", images={"worker": "w:1"})


def test_check_mode_plans_and_writes_nothing(api, connect):
    api.call("POST", DEPLOYMENTS, body=deployment(replicas=2))
    settle(api)
    writes = api.writes
    for params in (
        {"action": "set_image", "images": {"api": "api:2"}},
        {"action": "scale", "replicas": 5},
        {"action": "restart"},
    ):
        run = procedure(connect, check=True, **params)
        assert len(run.changes.items) == 1, params
    procedure(connect, action="set_image", images={"api": "api:2"})
    writes = api.writes
    assert procedure(connect, check=True, action="rollback").changes.items[0].startswith("roll back")
    assert api.writes == writes


def test_scale_and_restart(api, connect):
    api.call("POST", DEPLOYMENTS, body=deployment(replicas=2))
    settle(api)
    run = procedure(connect, action="scale", replicas=5)
    assert run.changes.items == ["scale Deployment app/api from 2 to 5 replicas"]
    assert run.result()["available_replicas"] == 5
    assert procedure(connect, action="scale", replicas=5).changes.items == []
    run = procedure(connect, action="restart")
    live = api.call("GET", f"{DEPLOYMENTS}/api")
    assert ro.RESTARTED_AT in live["spec"]["template"]["metadata"]["annotations"]
    assert run.result()["revision"] == 2 and run.result()["rollout"] == "complete"


def test_scale_under_an_autoscaler_sets_its_bounds(api, connect):
    api.call("POST", DEPLOYMENTS, body=deployment(replicas=2))
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "api-hpa"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"},
            "minReplicas": 2,
            "maxReplicas": 4,
        },
    }
    api.call("POST", f"/apis/autoscaling/v2/namespaces/{NS}/horizontalpodautoscalers", body=hpa)
    settle(api)
    with pytest.raises(
        PreconditionFailed, match=r"replicas: 8 is outside 2\.\.4, the bounds of the autoscaler api-hpa"
    ):
        procedure(connect, action="scale", replicas=8)
    run = procedure(connect, action="scale", replicas=8, min_replicas=8, max_replicas=12)
    assert run.changes.items == [
        "set the bounds of autoscaler app/api-hpa from 2..4 to 8..12",
        "scale Deployment app/api from 2 to 8 replicas",
    ]
    assert "manages Deployment app/api" in run.warnings[0]
    found = api.call("GET", f"/apis/autoscaling/v2/namespaces/{NS}/horizontalpodautoscalers/api-hpa")["spec"]
    assert (found["minReplicas"], found["maxReplicas"]) == (8, 12)
    assert run.extra_result()["autoscaler"] == {"name": "api-hpa", "min_replicas": 8, "max_replicas": 12}


def test_a_missing_deployment_is_a_precondition(api, connect):
    with pytest.raises(PreconditionFailed, match="name: Deployment app/api does not exist"):
        procedure(connect, action="status")


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"cluster_name": None}, "cluster_name: give cluster_name (an EKS cluster) or kubeconfig"),
        ({"kubeconfig": "/nonexistent/kubeconfig"}, "cluster_name: give cluster_name"),
        ({"namespace": "Money_Tracking"}, "namespace: 'Money_Tracking' is not a Kubernetes namespace name"),
        ({"name": "api_service"}, "name: 'api_service' is not a Deployment name"),
        ({"images": None}, "images: set_image needs images (container: image) or tag"),
        ({"tag": "v1"}, "tag: give images or tag, not both"),
        ({"images": {"api": "API:latest!"}}, "images.api: 'API:latest!' is not a container image reference"),
        ({"images": {"Api": "api:1"}}, "images.Api: not a container name"),
        ({"images": None, "tag": "-v1"}, "tag: '-v1' is not an image tag"),
        ({"replicas": 3}, "replicas: only for action scale (the action is set_image)"),
        ({"action": "rollback", "images": None, "revision": 0}, "revision: 0 is not a revision"),
        ({"action": "scale", "images": None}, "replicas: scale needs replicas"),
        ({"action": "scale", "images": None, "replicas": -1}, "replicas: -1 must be 0 or more"),
        ({"action": "scale", "images": None, "min_replicas": 5, "max_replicas": 2}, "min_replicas: 5 is more than"),
        ({"action": "scale", "images": None, "replicas": 9, "max_replicas": 5}, "replicas: 9 is outside"),
        ({"wait_timeout": 0}, "wait_timeout: 0 must be more than 0 seconds"),
        ({"action": "status", "images": None, "rollback": True}, "rollback: only for action set_image"),
    ],
)
def test_bad_options_are_named(params, error):
    base = {
        "cluster_name": CLUSTER,
        "kubeconfig": None,
        "namespace": NS,
        "name": "api",
        "action": "set_image",
        "images": {"api": "api:2"},
        "wait_timeout": 60,
    }
    base.update(params)
    assert any(e.startswith(error) for e in ro.validate(base)), ro.validate(base)


def test_with_tag_keeps_registry_ports():
    assert ro.with_tag("registry.local:5000/api", "v2") == "registry.local:5000/api:v2"
    assert ro.with_tag("api:1@sha256:" + "b" * 64, "v2") == "api:v2"
    assert ro.with_tag("nginx", "1.27") == "nginx:1.27"
