# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: service
short_description: What a service of the platform runs now, found by tags (read calls only)
version_added: 0.2.0
description:
  - For a service name and the inventory's platform, environment and region, finds the cluster by its tags
    (C(stackops:platform), C(stackops:environment), C(stackops:component=cluster)) - no converge needed - and
    returns the cluster type, the current image(s) and revision, the previous revision, the desired and running
    counts, the auto scaling bounds, the deployments and whether the service is stable, its log group, and the
    health URL when the inventory gives one (O(health_url), or C(platform_health_urls[<service>])).
  - ECS - the service in the cluster; its revision is the task definition C(family:N). The previous revision
    comes from the tags M(stackops.platform.ecs_deploy) keeps on the service, else the newest ACTIVE revision
    older than the current one.
  - EKS - the Deployment O(namespace)/C(<service>) through this collection's Kubernetes helpers
    (C(module_utils/_kube)); its revision is the Deployment's C(deployment.kubernetes.io/revision).
  - The platform, environment, region, cluster type, endpoint and credentials default to the inventory's
    C(platform_name), C(platform_environment), C(platform_region), C(cluster_type), C(aws_endpoint_url),
    C(aws_access_key) and C(aws_secret_key), then the usual AWS environment variables.
options:
  _terms:
    description: The service's name (one).
    required: true
  platform:
    description: The platform (default C(platform_name)).
    type: str
  environment:
    description: The environment (default C(platform_environment)).
    type: str
  region:
    description: The region (default C(platform_region), then C(AWS_REGION)).
    type: str
  cluster_type:
    description: C(ecs) or C(eks) (default C(cluster_type), else whichever cluster the tags find).
    type: str
  namespace:
    description: For EKS, the Deployment's namespace (default C(cluster_eks_service_defaults.namespace), else C(default)).
    type: str
  health_url:
    description: The service's health URL, returned as is (default C(platform_health_urls[<service>])).
    type: str
  endpoint_url:
    description: The AWS endpoint (default C(aws_endpoint_url), then C(AWS_ENDPOINT_URL)).
    type: str
  access_key:
    description: AWS access key (default C(aws_access_key), then the usual credential chain).
    type: str
  secret_key:
    description: AWS secret key (default C(aws_secret_key)).
    type: str
  missing_ok:
    description: Return C(exists=false) for a service that is not there, instead of failing.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: What does api run in this region?
  ansible.builtin.debug:
    msg: "{{ lookup('stackops.platform.service', 'api') }}"

- name: Explicit identity
  ansible.builtin.set_fact:
    api: "{{ lookup('stackops.platform.service', 'api', platform='banking-llm', environment='prod', region='us-east-1') }}"
"""

RETURN = r"""
_raw:
  description: One dict per service.
  type: list
  elements: dict
  contains:
    name: {description: The service's name., type: str}
    exists: {description: Whether the service was found., type: bool}
    cluster_type: {description: ecs or eks., type: str}
    cluster_name: {description: The cluster's name., type: str}
    region: {description: The region., type: str}
    revision: {description: "ECS: the task definition C(family:N); EKS: the Deployment's revision number.", type: str}
    revision_number: {description: The revision as a number., type: int}
    images: {description: Image by container name., type: dict}
    previous_revision: {description: The revision before the current one (null when unknown)., type: str}
    previous_images: {description: Its images by container name., type: dict}
    desired_count: {description: Desired tasks or replicas., type: int}
    running_count: {description: Running tasks or ready replicas., type: int}
    autoscaling: {description: "Bounds {min, max}, or null without auto scaling.", type: dict}
    stable: {description: "One deployment, completed, running = desired.", type: bool}
    deployments: {description: "The deployments (ECS) with id, status, rollout_state, revision, running and desired counts.", type: list}
    log_group: {description: The CloudWatch Logs group of the first container (ECS)., type: str}
    target_group_arns: {description: The load balancer target groups the service is in (ECS)., type: list}
    health_url: {description: "The health URL from the inventory, or null.", type: str}
"""

import os  # noqa: E402

from ansible.errors import AnsibleLookupError  # noqa: E402
from ansible.plugins.lookup import LookupBase  # noqa: E402

try:
    import boto3
    import botocore.config
    import botocore.exceptions
except ImportError:  # pragma: no cover
    boto3 = None

from ansible_collections.stackops.platform.plugins.module_utils._ecs import rollout  # noqa: E402


class _Retrying:
    """A boto3 client that accepts (and drops) ``aws_retry=True``, as amazon.aws's wrapper does: the shared
    read helpers pass it; botocore's standard retry mode does the retrying here."""

    def __init__(self, client):
        self.client = client

    def __getattr__(self, name):
        attribute = getattr(self.client, name)
        if not callable(attribute):
            return attribute

        def call(*args, aws_retry=False, **kwargs):
            return attribute(*args, **kwargs)

        return call


def _tags(tag_list):
    return {t.get("key", t.get("Key")): t.get("value", t.get("Value")) for t in tag_list or []}


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        if boto3 is None:
            raise AnsibleLookupError("the service lookup needs boto3")
        if len(terms) != 1:
            raise AnsibleLookupError(f"service: give one service name, got {len(terms)}")
        variables = variables or {}
        name = str(terms[0])
        option = self.get_option

        def var(variable):
            # Inventory variables reach a lookup untemplated (aws_endpoint_url is itself a lookup).
            value = variables.get(variable)
            return self._templar.template(value) if value is not None else None

        def setting(key, variable, env=None):
            value = option(key) or var(variable)
            if value is None and env:
                value = os.environ.get(env)
            return value

        platform = setting("platform", "platform_name")
        environment = setting("environment", "platform_environment")
        region = setting("region", "platform_region", "AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        missing = [k for k, v in (("platform", platform), ("environment", environment), ("region", region)) if not v]
        if missing:
            raise AnsibleLookupError(
                f"service: no {', '.join(missing)} (set platform_name, platform_environment, platform_region)"
            )
        health = option("health_url") or (var("platform_health_urls") or {}).get(name)
        session = boto3.session.Session(
            aws_access_key_id=setting("access_key", "aws_access_key"),
            aws_secret_access_key=setting("secret_key", "aws_secret_key"),
            region_name=region,
        )
        config = botocore.config.Config(
            retries={"mode": "standard", "max_attempts": 10}, user_agent_extra="stackops.platform"
        )
        endpoint = setting("endpoint_url", "aws_endpoint_url", "AWS_ENDPOINT_URL")

        def client(service):
            return _Retrying(session.client(service, endpoint_url=endpoint or None, config=config))

        identity = {"stackops:platform": platform, "stackops:environment": environment, "stackops:component": "cluster"}
        kind = (setting("cluster_type", "cluster_type") or "").lower() or None
        if kind not in (None, "ecs", "eks"):
            raise AnsibleLookupError(f"cluster_type: {kind!r} is neither ecs nor eks")
        base = {"name": name, "region": region, "platform": platform, "environment": environment, "health_url": health}
        try:
            if kind in (None, "ecs"):
                cluster = self._ecs_cluster(client("ecs"), identity)
                if cluster is not None or kind == "ecs":
                    return [self._ecs(client, cluster, name, base)]
            namespace = option("namespace") or (var("cluster_eks_service_defaults") or {}).get("namespace") or "default"
            return [self._eks(client, identity, name, namespace, base)]
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
            raise AnsibleLookupError(f"service {name}: could not read it from AWS: {error}") from None

    # -- ECS -------------------------------------------------------------------------------------------------------

    @staticmethod
    def _ecs_cluster(ecs, identity):
        arns = []
        for page in ecs.get_paginator("list_clusters").paginate():
            arns.extend(page.get("clusterArns", []))
        found = []
        for start in range(0, len(arns), 100):
            for cluster in ecs.describe_clusters(clusters=arns[start : start + 100], include=["TAGS"])["clusters"]:
                tags = _tags(cluster.get("tags"))
                if cluster.get("status") == "ACTIVE" and all(tags.get(k) == v for k, v in identity.items()):
                    found.append(cluster)
        if len(found) > 1:
            names = ", ".join(c["clusterName"] for c in found)
            raise AnsibleLookupError(f"service: more than one ECS cluster carries the tags {identity}: {names}")
        return found[0] if found else None

    def _ecs(self, client, cluster, name, base):
        result = dict(base, cluster_type="ecs", exists=False)
        if cluster is None:
            return self._missing(
                result, f"no ECS cluster tagged for {base['platform']}/{base['environment']} in {base['region']}"
            )
        ecs = client("ecs")
        result["cluster_name"] = cluster["clusterName"]
        service = rollout.read_service(ecs, cluster["clusterName"], name)
        if service is None:
            return self._missing(result, f"no ECS service {name} in cluster {cluster['clusterName']}")
        definition = rollout.read_definition(ecs, service["taskDefinition"]) or {}
        previous = rollout.previous_revision(ecs, service)
        previous_definition = rollout.read_definition(ecs, previous) if previous else None
        bounds = rollout.scaling_bounds(client("application-autoscaling"), cluster["clusterName"], name)
        containers = definition.get("containerDefinitions") or []
        log_options = ((containers[0].get("logConfiguration") or {}).get("options") or {}) if containers else {}
        primary = rollout.primary_deployment(service)
        result.update(
            exists=True,
            revision=rollout.revision_of(service["taskDefinition"]),
            revision_number=rollout.revision_number(service["taskDefinition"]),
            task_definition_arn=service["taskDefinition"],
            images=rollout.images_of(definition),
            previous_revision=rollout.revision_of(previous),
            previous_images=rollout.images_of(previous_definition) if previous_definition else None,
            desired_count=service.get("desiredCount"),
            running_count=service.get("runningCount"),
            pending_count=service.get("pendingCount"),
            autoscaling=bounds,
            stable=rollout._stable(service, service["taskDefinition"]),
            rollout_state=primary.get("rolloutState"),
            deployments=[
                {
                    "id": d.get("id"),
                    "status": d.get("status"),
                    "rollout_state": d.get("rolloutState"),
                    "revision": rollout.revision_of(d.get("taskDefinition")),
                    "running_count": d.get("runningCount"),
                    "desired_count": d.get("desiredCount"),
                    "failed_tasks": d.get("failedTasks"),
                    "created_at": str(d.get("createdAt")) if d.get("createdAt") else None,
                }
                for d in service.get("deployments") or []
            ],
            last_deploy=dict(
                kind=(service.get("tagMap") or {}).get(rollout.TAG_KIND),
                source=(service.get("tagMap") or {}).get(rollout.TAG_FROM),
                to=(service.get("tagMap") or {}).get(rollout.TAG_TO),
            ),
            log_group=log_options.get("awslogs-group"),
            target_group_arns=[
                lb["targetGroupArn"] for lb in service.get("loadBalancers") or [] if lb.get("targetGroupArn")
            ],
            events=[str(e.get("message")) for e in (service.get("events") or [])[:10]],
        )
        return result

    # -- EKS -------------------------------------------------------------------------------------------------------

    def _eks(self, client, identity, name, namespace, base):
        result = dict(base, cluster_type="eks", exists=False, namespace=namespace)
        eks = client("eks")
        cluster_name = None
        for page in eks.get_paginator("list_clusters").paginate():
            for candidate in page.get("clusters", []):
                tags = eks.describe_cluster(name=candidate)["cluster"].get("tags") or {}
                if all(tags.get(k) == v for k, v in identity.items()):
                    cluster_name = candidate
        if cluster_name is None:
            return self._missing(
                result, f"no ECS or EKS cluster tagged for {base['platform']}/{base['environment']} in {base['region']}"
            )
        result["cluster_name"] = cluster_name
        try:
            from ansible_collections.stackops.platform.plugins.module_utils._kube.connect import eks_connection
            from ansible_collections.stackops.platform.plugins.module_utils._kube.rollout import deployment_status
        except ImportError as error:
            raise AnsibleLookupError(
                f"service {name}: {cluster_name} is an EKS cluster, and this installation of stackops.platform lacks the "
                f"Kubernetes helpers the lookup reads Deployments with (module_utils/_kube: {error})"
            ) from None
        connection = eks_connection(eks, client("sts"), cluster_name)
        try:
            status = deployment_status(connection, namespace, name)
        finally:
            if hasattr(connection, "close"):
                connection.close()
        if not status:
            return self._missing(result, f"no Deployment {namespace}/{name} in EKS cluster {cluster_name}")
        deployment, previous = status.get("deployment") or {}, status.get("previous") or {}
        hpa = status.get("hpa")
        result.update(
            exists=True,
            revision=str(deployment.get("revision")) if deployment.get("revision") is not None else None,
            revision_number=deployment.get("revision"),
            images=deployment.get("images") or {},
            previous_revision=str(previous["revision"]) if previous.get("revision") is not None else None,
            previous_images=previous.get("images"),
            desired_count=deployment.get("replicas"),
            running_count=deployment.get("ready_replicas"),
            autoscaling={"min": hpa.get("min"), "max": hpa.get("max")} if hpa else None,
            stable=deployment.get("replicas")
            == deployment.get("updated_replicas")
            == deployment.get("available_replicas")
            == deployment.get("ready_replicas"),
            deployments=[],
        )
        return result

    def _missing(self, result, message):
        if self.get_option("missing_ok"):
            result["message"] = message
            return result
        raise AnsibleLookupError(f"service: {message}")
