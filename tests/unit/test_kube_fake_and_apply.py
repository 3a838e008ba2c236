"""The fake Kubernetes API (tokens, discovery, CRUD, conflicts) and kube_objects' apply logic against it."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import boto3
import pytest

from ansible_collections.stackops.platform.plugins.module_utils._kube import apply as ap
from ansible_collections.stackops.platform.plugins.module_utils._kube.token import decode_token
from ansible_collections.stackops.platform.plugins.module_utils._kube.token import eks_token
from ansible_collections.stackops.platform.plugins.module_utils.platform import Changes
from stackops_emulator.kube import KubeFake
from stackops_emulator.kube import check_token

CLUSTER = "demo-local"


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
    server = KubeFake(version_of=lambda region, cluster: "1.29")
    yield server
    server.server.shutdown()


@pytest.fixture
def api(fake):
    fake.reset()
    connection = ap.Connection(fake.url("us-east-1", CLUSTER), fake.ca_data, eks_token(sts(), CLUSTER))
    yield connection
    connection.close()


# -- the token ------------------------------------------------------------------------------------------------------


def test_the_token_is_a_presigned_get_caller_identity_url_like_aws_eks_get_token():
    token = eks_token(sts(), CLUSTER)
    assert token.startswith("k8s-aws-v1.") and "=" not in token
    url = decode_token(token)
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert parts.netloc == "sts.us-east-1.amazonaws.com"
    assert query["Action"] == "GetCallerIdentity" and query["Version"] == "2011-06-15"
    assert query["X-Amz-Expires"] == "60"
    assert query["X-Amz-SignedHeaders"].split(";") == ["host", "x-k8s-aws-id"]
    assert query["X-Amz-Credential"].split("/")[2:4] == ["us-east-1", "sts"]
    assert check_token(f"Bearer {token}", CLUSTER) is None


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("", "no bearer token"),
        ("Bearer abc", "does not start with k8s-aws-v1."),
        (
            "Bearer k8s-aws-v1."
            + base64.urlsafe_b64encode(b"https://example.com/?Action=ListUsers").decode().rstrip("="),
            "not a presigned STS GetCallerIdentity URL",
        ),
    ],
)
def test_the_fake_refuses_tokens_eks_would_refuse(header, problem):
    assert problem in check_token(header, CLUSTER)


def test_a_token_without_the_cluster_header_is_refused():
    url = sts().generate_presigned_url("get_caller_identity", Params={}, ExpiresIn=60, HttpMethod="GET")
    token = "k8s-aws-v1." + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")
    assert "x-k8s-aws-id" in check_token(f"Bearer {token}", CLUSTER)


def test_an_unauthenticated_request_gets_401(fake):
    connection = ap.Connection(fake.url("us-east-1", CLUSTER), fake.ca_data, "not-a-token")
    with pytest.raises(ap.ApiException) as raised:
        connection.call("GET", "/api/v1/namespaces")
    assert raised.value.status == 401
    connection.close()


def test_the_ca_is_checked(fake):
    other = KubeFake()
    try:
        connection = ap.Connection(fake.url("us-east-1", CLUSTER), other.ca_data, eks_token(sts(), CLUSTER))
        with pytest.raises(Exception, match="CERTIFICATE_VERIFY_FAILED"):
            connection.call("GET", "/version")
        connection.close()
    finally:
        other.server.shutdown()


# -- the fake API ---------------------------------------------------------------------------------------------------


def test_discovery(api):
    assert api.call("GET", "/version")["minor"] == "29"
    assert api.call("GET", "/api")["versions"] == ["v1"]
    groups = {g["name"] for g in api.call("GET", "/apis")["groups"]}
    assert groups == {"apps", "autoscaling", "networking.k8s.io", "monitoring.coreos.com"}
    resources = {r["kind"]: r["namespaced"] for r in api.call("GET", "/apis/networking.k8s.io/v1")["resources"]}
    assert resources == {"Ingress": True, "NetworkPolicy": True}


def test_crud_resource_versions_and_errors(api):
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "app"}}
    created = api.call("POST", "/api/v1/namespaces", body=namespace)
    assert created["metadata"]["resourceVersion"] and created["status"]["phase"] == "Active"
    with pytest.raises(ap.ApiException) as raised:
        api.call("POST", "/api/v1/namespaces", body=namespace)
    assert raised.value.status == 409 and json.loads(raised.value.body)["reason"] == "AlreadyExists"
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}}
    with pytest.raises(ap.ApiException) as raised:
        api.call("POST", "/api/v1/namespaces/missing/configmaps", body=config)
    assert raised.value.status == 404
    first = api.call("POST", "/api/v1/namespaces/app/configmaps", body=config)
    second = api.call(
        "PUT", "/api/v1/namespaces/app/configmaps/c", body={**config, "metadata": first["metadata"], "data": {"a": "2"}}
    )
    assert int(second["metadata"]["resourceVersion"]) > int(first["metadata"]["resourceVersion"])
    with pytest.raises(ap.ApiException) as raised:  # a stale resourceVersion
        api.call("PUT", "/api/v1/namespaces/app/configmaps/c", body={**config, "metadata": first["metadata"]})
    assert raised.value.status == 409 and json.loads(raised.value.body)["reason"] == "Conflict"
    with pytest.raises(ap.ApiException) as raised:
        api.call("POST", "/api/v1/namespaces/app/configmaps", body={**config, "metadata": {"name": "Bad_Name"}})
    assert raised.value.status == 422 and json.loads(raised.value.body)["reason"] == "Invalid"
    api.call("DELETE", "/api/v1/namespaces/app")
    with pytest.raises(ap.ApiException) as raised:
        api.call("GET", "/api/v1/namespaces/app/configmaps/c")
    assert raised.value.status == 404


def test_the_deployment_controller_rolls_out_and_counts_revisions(api):
    api.call("POST", "/api/v1/namespaces", body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "app"}})
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "api"},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "api"}},
            "template": {"spec": {"containers": [{"name": "api", "image": "api:1"}]}},
        },
    }
    created = api.call("POST", "/apis/apps/v1/namespaces/app/deployments", body=deployment)
    assert created["status"]["availableReplicas"] == 3
    assert created["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    patched = api.call(
        "PATCH",
        "/apis/apps/v1/namespaces/app/deployments/api",
        body={"spec": {"template": {"spec": {"containers": [{"name": "api", "image": "api:2"}]}}}},
        content_type="application/merge-patch+json",
    )
    assert patched["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    assert patched["metadata"]["generation"] == 2 and patched["status"]["observedGeneration"] == 2


# -- apply -----------------------------------------------------------------------------------------------------------------


OBJECTS = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "app", "labels": {"team": "a"}}},
    {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "app", "labels": {"app": "api"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "api"}},
            "template": {
                "metadata": {"labels": {"app": "api"}},
                "spec": {"containers": [{"name": "api", "image": "api:1", "resources": {"limits": {"cpu": "1000m"}}}]},
            },
        },
    },
    {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "api", "namespace": "app"},
        "spec": {"selector": {"app": "api"}, "ports": [{"port": 80, "targetPort": 8000}]},
    },
]


def apply(api, objects, check=False):
    changes = Changes(check)
    applier = ap.Applier(api, changes, "demo-local", wait=True, wait_timeout=5)
    for obj in objects:
        applier.apply(json.loads(json.dumps(obj)))
    applier.wait_rollouts()
    return changes.items, applier


def test_apply_creates_then_changes_nothing(api):
    assert apply(api, OBJECTS)[0] == ["create Namespace app", "create Deployment app/api", "create Service app/api"]
    writes = api.writes
    assert apply(api, OBJECTS)[0] == []
    assert api.writes == writes


def test_check_mode_reads_only(api):
    changes, _applier = apply(api, OBJECTS, check=True)
    assert changes == ["create Namespace app", "create Deployment app/api", "create Service app/api"]
    assert api.writes == 0


def test_a_removed_field_is_removed_and_server_fields_are_kept(api):
    apply(api, OBJECTS)
    changed = json.loads(json.dumps(OBJECTS))
    del changed[0]["metadata"]["labels"]["team"]
    changed[1]["spec"]["replicas"] = 4
    changes, applier = apply(api, changed)
    assert changes == ["update Namespace app", "update Deployment app/api"]
    assert applier.before["Deployment app/api"]["spec"]["replicas"] == 2
    namespace = api.call("GET", "/api/v1/namespaces/app")
    assert "team" not in namespace["metadata"].get("labels", {})
    service = api.call("GET", "/api/v1/namespaces/app/services/api")
    assert service["spec"]["clusterIP"]  # set by the server, never in the spec: left alone
    assert apply(api, changed)[0] == []


def test_quantities_compare_by_value():
    assert ap.contains({"limits": {"cpu": "1000m"}}, {"limits": {"cpu": "1"}})
    assert not ap.contains({"limits": {"cpu": "500m"}}, {"limits": {"cpu": "1"}})
    assert ap.contains({"a": [{"b": 1}]}, {"a": [{"b": 1, "c": 2}]})
    assert not ap.contains({"a": [1, 2]}, {"a": [1]})


def test_prune_deletes_only_this_clusters_objects_that_left_the_spec(api):
    from ansible_collections.stackops.platform.plugins.module_utils._kube.spec import kube_objects

    spec = {
        "namespaces": ["app"],
        "workloads": [
            {"name": "api", "namespace": "app", "image": "api:1", "port": 8000},
            {"name": "worker", "namespace": "app", "image": "worker:1"},
        ],
    }
    for obj in kube_objects(spec, "demo-local"):
        ap.Applier(api, Changes(False), "demo-local").apply(obj)
    foreign = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "theirs", "namespace": "app"}, "data": {}}
    api.call("POST", "/api/v1/namespaces/app/configmaps", body=foreign)
    spec["workloads"].pop()  # the worker leaves the spec
    changes = Changes(False)
    applier = ap.Applier(api, changes, "demo-local")
    for obj in kube_objects(spec, "demo-local"):
        applier.apply(obj)
    applier.prune(list(ap.KINDS))
    assert changes.items == ["delete Deployment app/worker"]
    names = [d["metadata"]["name"] for d in api.call("GET", "/apis/apps/v1/namespaces/app/deployments")["items"]]
    assert names == ["api"]
    api.call("GET", "/api/v1/namespaces/app/configmaps/theirs")  # not labelled as ours: left alone
