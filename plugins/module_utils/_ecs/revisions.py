# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What a rollout knows about revisions and deployments: task definition names and content, image tags, the
deploy tags on a service, the reads the procedure and the service lookup share, and the bounded poll."""

from __future__ import annotations

import re

from ..platform import ResourceTimeout
from ..platform import not_found
from ..platform import wait_for

TAG_FROM = "stackops:deploy-from"
TAG_TO = "stackops:deploy-to"
TAG_KIND = "stackops:deploy-kind"
# RegisterTaskDefinition's parameters that DescribeTaskDefinition returns: what a revision's content is.
REGISTER_FIELDS = (
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "containerDefinitions",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "inferenceAccelerators",
    "ephemeralStorage",
    "runtimePlatform",
)
# How many of the family's newest revisions are compared with a new one before registering it.
REUSE_WINDOW = 5
_IMAGE_TAG = re.compile(r"^(?P<name>(?:[^/]+/)*[^/:@]+)(?::(?P<tag>[^/@]+))?(?:@(?P<digest>.+))?$")
ACTIONS = ("deploy", "rollback", "restart", "scale", "status")


def _ecs_tags(tags):
    return {t["key"]: t["value"] for t in tags or []}


def revision_of(arn):
    """``family:12`` from a task definition ARN (or ``family:12`` itself)."""
    return str(arn or "").rsplit("/", 1)[-1] or None


def revision_number(arn):
    value = revision_of(arn)
    return int(value.rsplit(":", 1)[1]) if value and ":" in value else None


def with_tag(image, tag):
    """``image`` with its tag replaced by ``tag`` (a digest is dropped: it pins the old content)."""
    match = _IMAGE_TAG.match(image or "")
    name = match.group("name") if match else image.split("@")[0].rsplit(":", 1)[0]
    return f"{name}:{tag}"


def short_image(image, current):
    """``api:1.4.3`` (no registry, the repository the container runs now) becomes the current image's registry and
    path with the new tag: ``<registry>/demo-local/api:1.4.3``. Anything else is used as given."""
    if "/" in image or not current or "/" not in current:
        return image
    prefix, last = current.rsplit("/", 1)
    repository = re.split(r"[:@]", last, maxsplit=1)[0]
    if re.split(r"[:@]", image, maxsplit=1)[0] != repository:
        return image
    return f"{prefix}/{image}"


def content(definition):
    """The registrable content of a described task definition, empty values dropped, for comparison."""
    return {k: definition[k] for k in REGISTER_FIELDS if definition.get(k) not in (None, [], {}, "")}


def images_of(definition):
    return {c["name"]: c.get("image") for c in (definition or {}).get("containerDefinitions") or []}


# -- reads (the lookup uses these too) ---------------------------------------------------------------------------


def read_service(ecs, cluster, name):
    answer = ecs.describe_services(cluster=cluster, services=[name], include=["TAGS"], aws_retry=True)
    found = next((s for s in answer.get("services", []) if s.get("status") != "INACTIVE"), None)
    if found is not None:
        found["tagMap"] = _ecs_tags(found.get("tags"))
    return found


def read_definition(ecs, arn):
    answer = not_found(
        lambda: ecs.describe_task_definition(taskDefinition=arn, include=["TAGS"], aws_retry=True),
        "ClientException",
        "InvalidParameterException",
    )
    if not answer:
        return None
    definition = answer["taskDefinition"]
    definition["tagList"] = answer.get("tags") or []
    return definition


def family_revisions(ecs, family, status="ACTIVE"):
    """ARNs of the family's revisions, newest first (one page: the newest 100)."""
    answer = ecs.list_task_definitions(familyPrefix=family, status=status, sort="DESC", maxResults=100, aws_retry=True)
    return [a for a in answer.get("taskDefinitionArns", []) if revision_of(a).rsplit(":", 1)[0] == family]


def previous_revision(ecs, service, revisions=None):
    """The task definition ARN the service ran before its current one: from the deploy tags when they describe
    the current revision, else the newest ACTIVE revision of the family older than the current one."""
    current = service.get("taskDefinition")
    tags = service.get("tagMap") or {}
    if tags.get(TAG_TO) and revision_of(tags[TAG_TO]) == revision_of(current) and tags.get(TAG_FROM):
        return _arn_like(current, tags[TAG_FROM])
    number = revision_number(current)
    family = revision_of(current).rsplit(":", 1)[0]
    for arn in revisions if revisions is not None else family_revisions(ecs, family):
        if revision_number(arn) is not None and number is not None and revision_number(arn) < number:
            return arn
    return None


def _arn_like(example_arn, revision):
    """The ARN of ``family:N`` in the account and region of ``example_arn``."""
    if str(revision).startswith("arn:"):
        return revision
    return f"{str(example_arn).rsplit('/', 1)[0]}/{revision}"


FAST_POLL_SECONDS = 120


def poll(check, timeout, what):
    """``wait_for`` polling every second for the first two minutes (most rollouts end there, and a one-second
    DescribeServices is what ``ecs deploy`` does too), then backing off up to 10 s."""
    try:
        return wait_for(check, min(timeout, FAST_POLL_SECONDS), what, delay=1.0, max_delay=1.0)
    except ResourceTimeout:
        if timeout <= FAST_POLL_SECONDS:
            raise
    try:
        return wait_for(check, timeout - FAST_POLL_SECONDS, what, delay=2.0, max_delay=10.0)
    except ResourceTimeout:
        raise ResourceTimeout(f"timed out after {timeout} s waiting for {what}") from None


def primary_deployment(service):
    return next((d for d in service.get("deployments") or [] if d.get("status") == "PRIMARY"), {})


def scaling_bounds(autoscaling, cluster, name):
    targets = autoscaling.describe_scalable_targets(
        ServiceNamespace="ecs",
        ResourceIds=[f"service/{cluster}/{name}"],
        ScalableDimension="ecs:service:DesiredCount",
        aws_retry=True,
    ).get("ScalableTargets", [])
    if not targets:
        return None
    return {"min": targets[0]["MinCapacity"], "max": targets[0]["MaxCapacity"]}


def _stable(service, target):
    """Done: the PRIMARY deployment runs ``target``, COMPLETED (when reported), alone, at the desired count."""
    primary = primary_deployment(service)
    return (
        revision_of(primary.get("taskDefinition")) == revision_of(target)
        and primary.get("rolloutState", "COMPLETED") == "COMPLETED"
        and len(service.get("deployments") or []) == 1
        and primary.get("runningCount") == service.get("desiredCount")
        and service.get("runningCount") == service.get("desiredCount")
    )
