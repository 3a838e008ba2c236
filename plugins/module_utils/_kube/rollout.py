# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Deployment rollouts as on-call needs them: set images, roll back, scale, restart, read the state.

What the Deployment controller does (https://kubernetes.io/docs/concepts/workloads/controllers/deployment/):
every pod template gets a ReplicaSet labelled with its ``pod-template-hash``; each template change makes a
revision (``deployment.kubernetes.io/revision`` on the ReplicaSet and the Deployment); rolling back to an older
template re-uses its ReplicaSet under the next revision number. A rollout is done when the controller has
observed the latest generation, every desired replica is updated and available and no old replica is left
(what ``kubectl rollout status`` checks); it failed when the ``Progressing`` condition is ``False`` with reason
``ProgressDeadlineExceeded`` (the controller never rolls back by itself).

Differences from the commands and modules this replaces:

- A rollback writes the target ReplicaSet's pod template with the Deployment's other annotations as they are
  (kubernetes.core ``k8s_rollback`` replaces every annotation with the revision one), and records which
  template it rolled back to (``stackops.platform/rolled-back``): run again, it finds the Deployment already
  on that template and changes nothing (``kubectl rollout undo`` run twice flips back to the bad revision).
- Every write is a replace of the object as read, with its ``resourceVersion``: a concurrent change makes the
  API answer 409 and the object is read again, never overwritten blind.
- Setting the images a Deployment already runs changes nothing, and still waits for a rollout in progress: a
  run interrupted during its wait, run again, waits for the same rollout instead of starting another.
- Scaling a Deployment that a HorizontalPodAutoscaler manages sets the autoscaler's bounds: the autoscaler
  rewrites the replica count on its own, so a count outside its bounds would not last.
"""

from __future__ import annotations

import copy
import datetime
import json
import os
import re

try:
    from urllib3.exceptions import HTTPError as Urllib3Error
except ImportError:  # pragma: no cover - urllib3 comes with the kubernetes client

    class Urllib3Error(Exception):
        pass


from ..platform import Changes
from ..platform import Phases
from ..platform import PlatformError
from ..platform import PreconditionFailed
from ..platform import ResourceTimeout
from ..platform import wait_for
from .apply import ApiException
from .apply import KubeError
from .spec import DNS1123_LABEL
from .spec import DNS1123_SUBDOMAIN

REVISION = "deployment.kubernetes.io/revision"
HASH_LABEL = "pod-template-hash"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
ROLLED_BACK = "stackops.platform/rolled-back"
DEADLINE_REASON = "ProgressDeadlineExceeded"
ACTIONS = ("set_image", "rollback", "scale", "restart", "status")
CONFLICT_RETRIES = 3

# An image reference as the distribution spec writes it: [registry[:port]/]path[:tag][@digest].
_IMAGE = re.compile(
    r"^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
    r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
    r"(?:@[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,})?$"
)
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
# Options that belong to one action only: option -> actions that take it.
_ONLY_FOR = {
    "images": ("set_image",),
    "tag": ("set_image",),
    "rollback": ("set_image",),
    "revision": ("rollback",),
    "replicas": ("scale",),
    "min_replicas": ("scale",),
    "max_replicas": ("scale",),
}


# -- validation (before any call) ----------------------------------------------------------------------------------


def validate(params):
    """Broken rules, each naming the option; an empty list when the options make sense together."""
    errors = []
    action = params.get("action")
    if bool(params.get("cluster_name")) == bool(params.get("kubeconfig")):
        errors.append("cluster_name: give cluster_name (an EKS cluster) or kubeconfig (a file), exactly one")
    kubeconfig = params.get("kubeconfig")
    if kubeconfig and not os.path.isfile(kubeconfig):
        errors.append(f"kubeconfig: {kubeconfig} is not a file")
    namespace, name = params.get("namespace"), params.get("name")
    if not isinstance(namespace, str) or len(namespace) > 63 or not DNS1123_LABEL.match(namespace):
        errors.append(f"namespace: {namespace!r} is not a Kubernetes namespace name (DNS-1123 label, 63 characters)")
    if not isinstance(name, str) or len(name) > 253 or not DNS1123_SUBDOMAIN.match(name):
        errors.append(f"name: {name!r} is not a Deployment name (DNS-1123 subdomain, 253 characters)")
    for option, actions in _ONLY_FOR.items():
        value = params.get(option)
        if value not in (None, {}, False) and action not in actions:
            errors.append(f"{option}: only for action {' or '.join(actions)} (the action is {action})")
    if action == "set_image":
        images, tag = params.get("images"), params.get("tag")
        if not images and tag is None:
            errors.append("images: set_image needs images (container: image) or tag")
        if images and tag is not None:
            errors.append("tag: give images or tag, not both")
        for container, image in (images or {}).items():
            if not isinstance(container, str) or len(container) > 63 or not DNS1123_LABEL.match(container):
                errors.append(f"images.{container}: not a container name (DNS-1123 label)")
            if not isinstance(image, str) or len(image) > 4096 or not _IMAGE.match(image):
                errors.append(f"images.{container}: {image!r} is not a container image reference")
        if tag is not None and not _TAG.match(str(tag)):
            errors.append(
                f"tag: {tag!r} is not an image tag (letters, digits, _ . -; 128 characters, no leading . or -)"
            )
    if action == "rollback" and params.get("revision") is not None and params["revision"] < 1:
        errors.append(f"revision: {params['revision']} is not a revision (revisions start at 1)")
    if action == "scale":
        replicas, low, high = params.get("replicas"), params.get("min_replicas"), params.get("max_replicas")
        if replicas is None and low is None and high is None:
            errors.append("replicas: scale needs replicas (or min_replicas/max_replicas for an autoscaled Deployment)")
        if replicas is not None and replicas < 0:
            errors.append(f"replicas: {replicas} must be 0 or more")
        if low is not None and low < 1:
            errors.append(f"min_replicas: {low} must be 1 or more (an autoscaler's minimum)")
        if high is not None and high < 1:
            errors.append(f"max_replicas: {high} must be 1 or more")
        if low is not None and high is not None and low > high:
            errors.append(f"min_replicas: {low} is more than max_replicas {high}")
        if replicas is not None and ((low is not None and replicas < low) or (high is not None and replicas > high)):
            errors.append(
                f"replicas: {replicas} is outside min_replicas..max_replicas "
                f"({low if low is not None else '-'}..{high if high is not None else '-'})"
            )
    timeout = params.get("wait_timeout")
    if timeout is not None and timeout <= 0:
        errors.append(f"wait_timeout: {timeout} must be more than 0 seconds")
    return errors


# -- reading the state ------------------------------------------------------------------------------------------------


def images_of(template):
    pod = (template or {}).get("spec") or {}
    return {c["name"]: c.get("image") for c in pod.get("containers") or []}


def revision_of(obj):
    try:
        return int(((obj.get("metadata") or {}).get("annotations") or {}).get(REVISION, 0))
    except (TypeError, ValueError):
        return 0


def without_hash(template):
    template = copy.deepcopy(template or {})
    labels = (template.get("metadata") or {}).get("labels")
    if labels is not None:
        labels.pop(HASH_LABEL, None)
    return template


def rollout_state(deployment):
    """("complete" | "progressing" | "failed", why), as ``kubectl rollout status`` decides it."""
    metadata, spec, status = (
        deployment.get("metadata") or {},
        deployment.get("spec") or {},
        deployment.get("status") or {},
    )
    name = metadata.get("name")
    if status.get("observedGeneration", 0) < metadata.get("generation", 1):
        return "progressing", f"waiting for the controller to observe generation {metadata.get('generation', 1)}"
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Progressing" and condition.get("reason") == DEADLINE_REASON:
            return "failed", f'Deployment "{name}" exceeded its progress deadline ({condition.get("message", "")})'
    desired = spec.get("replicas", 1)
    updated = status.get("updatedReplicas", 0)
    total = status.get("replicas", 0)
    available = status.get("availableReplicas", 0)
    if updated < desired:
        return "progressing", f"{updated} of {desired} new replicas have been updated"
    if total > updated:
        return "progressing", f"{total - updated} old replicas are pending termination"
    if available < updated:
        return "progressing", f"{available} of {updated} updated replicas are available"
    return "complete", f'Deployment "{name}" successfully rolled out'


def summary(deployment):
    metadata, spec, status = deployment["metadata"], deployment.get("spec") or {}, deployment.get("status") or {}
    state, why = rollout_state(deployment)
    return {
        "name": metadata["name"],
        "namespace": metadata.get("namespace"),
        "revision": revision_of(deployment),
        "images": images_of(spec.get("template")),
        "replicas": spec.get("replicas", 1),
        "ready_replicas": status.get("readyReplicas", 0),
        "updated_replicas": status.get("updatedReplicas", 0),
        "available_replicas": status.get("availableReplicas", 0),
        "generation": metadata.get("generation"),
        "observed_generation": status.get("observedGeneration"),
        "rollout": state,
        "rollout_message": why,
        "conditions": [
            {k: c.get(k) for k in ("type", "status", "reason", "message")} for c in status.get("conditions") or []
        ],
    }


class Kube:
    """The few Kubernetes calls a rollout makes, with API errors turned into messages that name the object."""

    def __init__(self, connection):
        self.connection = connection

    def call(self, method, path, what, body=None, query=None):
        try:
            return self.connection.call(method, path, body=body, query=query)
        except ApiException as error:
            if error.status == 404 and method == "GET":
                return None
            if error.status == 409:
                raise _Conflict(what) from None
            raise PlatformError(f"{what}: the Kubernetes API answered {_reason(error)}") from None
        except (Urllib3Error, OSError) as error:
            raise PlatformError(f"{what}: the Kubernetes API could not be reached: {error}") from None


class _Conflict(PlatformError):
    """The object changed between the read and the write (HTTP 409)."""


def _reason(error):
    try:
        body = json.loads(error.body)
        return f"{error.status} {body.get('reason')}: {body.get('message')}"
    except (TypeError, ValueError):
        return f"{error.status} {error.reason}"


# -- the procedure ----------------------------------------------------------------------------------------------------


class Rollout:
    """One run of kube_rollout: preflight (read) -> act (one replace) -> wait -> verify, with a timeline."""

    def __init__(self, connect, params, check_mode, poll=0.5):
        self._connect = connect  # () -> Connection, called once the options are known to be valid
        self.params = params
        self.changes = Changes(check_mode)
        self.warnings = []
        self.phases = Phases()
        self.poll = poll
        self.kube = None
        self.live = None
        self.replica_sets = []
        self.hpa = None
        self.before_snapshot = None
        self.previous_summary = None
        self.history = []
        self.message = None
        self.planned_images = None

    @property
    def namespace(self):
        return self.params["namespace"]

    @property
    def name(self):
        return self.params["name"]

    @property
    def key(self):
        return f"Deployment {self.namespace}/{self.name}"

    @property
    def path(self):
        return f"/apis/apps/v1/namespaces/{self.namespace}/deployments/{self.name}"

    # -- reads -------------------------------------------------------------------------------------------------------

    def read(self):
        found = self.kube.call("GET", self.path, f"reading {self.key}")
        if found is None:
            raise PreconditionFailed(f"name: {self.key} does not exist")
        self.live = found
        return found

    def read_replica_sets(self):
        """This Deployment's ReplicaSets (owned by its uid), oldest revision first."""
        labels = ((self.live.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
        listing = self.kube.call(
            "GET",
            f"/apis/apps/v1/namespaces/{self.namespace}/replicasets",
            f"listing the ReplicaSets of {self.key}",
            query={"labelSelector": selector} if selector else None,
        )
        uid = self.live["metadata"].get("uid")
        owned = [
            rs
            for rs in (listing or {}).get("items", [])
            if any(o.get("uid") == uid for o in rs["metadata"].get("ownerReferences") or [])
        ]
        self.replica_sets = sorted(owned, key=revision_of)
        self.history = [
            {
                "revision": revision_of(rs),
                "replica_set": rs["metadata"]["name"],
                "images": images_of(rs["spec"].get("template")),
                "replicas": (rs.get("spec") or {}).get("replicas", 0),
            }
            for rs in self.replica_sets
        ]
        return self.replica_sets

    def read_hpa(self):
        listing = self.kube.call(
            "GET",
            f"/apis/autoscaling/v2/namespaces/{self.namespace}/horizontalpodautoscalers",
            f"listing the autoscalers of namespace {self.namespace}",
        )
        for hpa in (listing or {}).get("items", []):
            target = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
            if target.get("kind") == "Deployment" and target.get("name") == self.name:
                self.hpa = hpa
                return hpa
        self.hpa = None
        return None

    def current_replica_set(self):
        template = without_hash((self.live.get("spec") or {}).get("template"))
        return next((rs for rs in self.replica_sets if without_hash(rs["spec"].get("template")) == template), None)

    def previous_replica_set(self):
        """The ReplicaSet of the revision before the current one (the highest other revision)."""
        current = self.current_replica_set()
        older = [rs for rs in self.replica_sets if rs is not current and revision_of(rs) < revision_of(self.live)]
        return older[-1] if older else None

    def preflight(self, with_hpa=False):
        with self.phases.phase("preflight"):
            self.kube = Kube(self._connect())
            self.read()
            self.read_replica_sets()
            if with_hpa:
                self.read_hpa()
            self.before_snapshot = summary(self.live)
            self._previous()

    def _previous(self):
        previous = self.previous_replica_set()
        self.previous_summary = (
            {"revision": revision_of(previous), "images": images_of(previous["spec"].get("template"))}
            if previous
            else None
        )

    # -- writes ------------------------------------------------------------------------------------------------------

    def replace(self, change):
        """Apply ``change(deployment)`` to the Deployment as read and replace it; on a 409, read again and retry."""
        for attempt in range(CONFLICT_RETRIES):
            desired = copy.deepcopy(self.live)
            desired.pop("status", None)
            change(desired)
            try:
                self.live = self.kube.call("PUT", self.path, f"updating {self.key}", body=desired)
                return self.live
            except _Conflict:
                if attempt == CONFLICT_RETRIES - 1:
                    raise PlatformError(
                        f"{self.key} kept changing under this run ({CONFLICT_RETRIES} conflicting writes); run it again"
                    ) from None
                self.read()
        return self.live

    # -- waiting -----------------------------------------------------------------------------------------------------

    def wait_rollout(self, phase="wait"):
        if not self.params.get("wait", True) or self.changes.check_mode:
            return
        with self.phases.phase(phase) as entry:

            def done():
                state, why = rollout_state(self.read())
                self.message = why
                if state == "failed":
                    raise PlatformError(f"{self.key}: {why}", deployment=summary(self.live))
                return state == "complete"

            try:
                wait_for(
                    done, self.params["wait_timeout"], f"the rollout of {self.key}", delay=self.poll, max_delay=2.0
                )
            except ResourceTimeout as error:
                raise ResourceTimeout(f"{error} (last state: {self.message})", deployment=summary(self.live)) from None
            entry["revision"] = revision_of(self.live)

    # -- actions -----------------------------------------------------------------------------------------------------

    def run(self):
        action = self.params["action"]
        getattr(self, f"do_{action}")()
        if self.changes and not self.changes.check_mode:
            with self.phases.phase("verify"):
                self.read()
                self.read_replica_sets()  # the history and the previous revision as they are now
                self._previous()

    def do_status(self):
        self.preflight(with_hpa=True)

    def do_set_image(self):
        self.preflight()
        old_template = copy.deepcopy(self.live["spec"]["template"])
        new_template = self._template_with_images(old_template)
        old_images, new_images = images_of(old_template), images_of(new_template)
        self.planned_images = new_images
        if without_hash(new_template) != without_hash(old_template):
            moves = ", ".join(
                f"{c} {old_images[c]} -> {new_images[c]}" for c in new_images if old_images[c] != new_images[c]
            )
            if self.changes.add(f"set the images of {self.key}: {moves}"):
                with self.phases.phase("set_image") as entry:
                    self.replace(lambda d: d["spec"].__setitem__("template", new_template))
                    entry["revision"] = revision_of(self.live)
        try:
            self.wait_rollout()
        except PlatformError as error:
            if not self.params.get("rollback") or not self.changes:
                raise
            self._undo(old_template, error)

    def _template_with_images(self, template):
        template = copy.deepcopy(template)
        pod = template.setdefault("spec", {})
        containers = pod.get("containers") or []
        images = self.params.get("images")
        if images:
            everything = {c["name"]: c for c in containers + (pod.get("initContainers") or [])}
            unknown = sorted(set(images) - set(everything))
            if unknown:
                raise PreconditionFailed(
                    f"images.{unknown[0]}: {self.key} has no container {unknown[0]} "
                    f"(it has {', '.join(sorted(everything)) or 'none'})"
                )
            for container, image in images.items():
                everything[container]["image"] = image
        else:
            for container in containers:
                container["image"] = with_tag(container.get("image", ""), str(self.params["tag"]))
        return template

    def _undo(self, old_template, error):
        """After a failed rollout: the template that ran before, waited for, and the failure still reported."""
        failed_revision = revision_of(self.live)
        self.changes.add(f"roll {self.key} back to the images it ran before ({_images_text(images_of(old_template))})")
        with self.phases.phase("rollback"):
            self.read()
            self.replace(lambda d: d["spec"].__setitem__("template", copy.deepcopy(old_template)))
        self.wait_rollout("wait_rollback")
        raise PlatformError(
            f"{error} - rolled back: {self.key} runs revision {revision_of(self.live)} "
            f"({_images_text(images_of(self.live['spec']['template']))}) again; revision {failed_revision} failed",
            deployment=summary(self.live),
            rolled_back_to=f"revision {revision_of(self.live)}",
        )

    def do_rollback(self):
        self.preflight()
        current = self.current_replica_set()
        current_hash = ((current or {}).get("metadata", {}).get("labels") or {}).get(HASH_LABEL)
        wanted = self.params.get("revision")
        record = _rolled_back(self.live)
        if wanted is None and record and current_hash and record.get("to") == current_hash:
            self.warnings.append(
                f"{self.key} was already rolled back from revision {record.get('from_revision')} to this template "
                f"(revision {revision_of(self.live)}): nothing to do (give revision to go elsewhere)"
            )
            self.wait_rollout()
            return
        if wanted is None:
            target = self.previous_replica_set()
            if target is None:
                raise PreconditionFailed(
                    f"{self.key} has no previous revision to roll back to (history: "
                    f"{', '.join(str(h['revision']) for h in self.history) or 'none'})"
                )
        else:
            target = next((rs for rs in self.replica_sets if revision_of(rs) == wanted), None)
            if target is None:
                raise PreconditionFailed(
                    f"revision: {wanted} is not in the rollout history of {self.key} "
                    f"(revisions: {', '.join(str(h['revision']) for h in self.history) or 'none'})"
                )
        target_template = without_hash(target["spec"]["template"])
        if target_template == without_hash(self.live["spec"]["template"]):
            self.warnings.append(f"{self.key} already runs the template of revision {revision_of(target)}")
            self.wait_rollout()
            return
        target_hash = (target["metadata"].get("labels") or {}).get(HASH_LABEL)
        from_revision = revision_of(self.live)
        record = json.dumps(
            {
                "from_revision": from_revision,
                "from": current_hash,
                "to": target_hash,
                "to_revision": revision_of(target),
            },
            sort_keys=True,
        )

        def change(deployment):
            deployment["spec"]["template"] = copy.deepcopy(target_template)
            deployment["metadata"].setdefault("annotations", {})[ROLLED_BACK] = record

        if self.changes.add(
            f"roll back {self.key} from revision {from_revision} ({_images_text(images_of(self.live['spec']['template']))}) "
            f"to revision {revision_of(target)} ({_images_text(images_of(target_template))})"
        ):
            with self.phases.phase("rollback") as entry:
                self.replace(change)
                entry["revision"] = revision_of(self.live)
        self.wait_rollout()

    def do_scale(self):
        self.preflight(with_hpa=True)
        replicas = self.params.get("replicas")
        low, high = self.params.get("min_replicas"), self.params.get("max_replicas")
        if self.hpa is None and (low is not None or high is not None):
            option = "min_replicas" if low is not None else "max_replicas"
            raise PreconditionFailed(f"{option}: no HorizontalPodAutoscaler manages {self.key}; give replicas alone")
        if self.hpa is not None:
            hpa_spec = self.hpa["spec"]
            new_low = low if low is not None else hpa_spec.get("minReplicas", 1)
            new_high = high if high is not None else hpa_spec["maxReplicas"]
            hpa_name = self.hpa["metadata"]["name"]
            if new_low > new_high:
                raise PreconditionFailed(
                    f"min_replicas: {new_low} is more than the maximum {new_high} of the autoscaler {hpa_name}"
                )
            if replicas is not None and not new_low <= replicas <= new_high:
                raise PreconditionFailed(
                    f"replicas: {replicas} is outside {new_low}..{new_high}, the bounds of the autoscaler {hpa_name} "
                    f"that manages {self.key} (it would scale the Deployment back); give min_replicas/max_replicas too"
                )
            self.warnings.append(
                f"the autoscaler {hpa_name} manages {self.key}: it keeps the replica count within "
                f"{new_low}..{new_high} and changes it with load; those bounds are what lasts"
            )
            if (new_low, new_high) != (hpa_spec.get("minReplicas", 1), hpa_spec["maxReplicas"]):
                if self.changes.add(
                    f"set the bounds of autoscaler {self.namespace}/{hpa_name} from "
                    f"{hpa_spec.get('minReplicas', 1)}..{hpa_spec['maxReplicas']} to {new_low}..{new_high}"
                ):
                    with self.phases.phase("scale_autoscaler"):
                        body = copy.deepcopy(self.hpa)
                        body.pop("status", None)
                        body["spec"]["minReplicas"], body["spec"]["maxReplicas"] = new_low, new_high
                        path = f"/apis/autoscaling/v2/namespaces/{self.namespace}/horizontalpodautoscalers/{hpa_name}"
                        self.hpa = self.kube.call("PUT", path, f"updating autoscaler {hpa_name}", body=body)
            current = self.live["spec"].get("replicas", 1)
            if replicas is None and not new_low <= current <= new_high:
                replicas = min(max(current, new_low), new_high)  # what the autoscaler would do at once
        current = self.live["spec"].get("replicas", 1)
        if replicas is not None and replicas != current:
            if self.changes.add(f"scale {self.key} from {current} to {replicas} replicas"):
                with self.phases.phase("scale"):
                    self.replace(lambda d: d["spec"].__setitem__("replicas", replicas))
        self.wait_rollout()

    def do_restart(self):
        self.preflight()
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: UP017

        def change(deployment):
            template = deployment["spec"].setdefault("template", {})
            template.setdefault("metadata", {}).setdefault("annotations", {})[RESTARTED_AT] = stamp

        if self.changes.add(f"restart every Pod of {self.key} (a rollout of the same images)"):
            with self.phases.phase("restart") as entry:
                self.replace(change)
                entry["revision"] = revision_of(self.live)
        self.wait_rollout()

    # -- results -----------------------------------------------------------------------------------------------------

    def result(self):
        return summary(self.live) if self.live else None

    def extra_result(self):
        extra = {"previous": self.previous_summary, "history": self.history}
        if self.hpa is not None:
            spec = self.hpa.get("spec") or {}
            extra["autoscaler"] = {
                "name": self.hpa["metadata"]["name"],
                "min_replicas": spec.get("minReplicas", 1),
                "max_replicas": spec.get("maxReplicas"),
            }
        return extra

    def after(self):
        if self.live is None:
            return None
        after = summary(self.live)
        if self.changes.check_mode and self.planned_images is not None:
            after["images"] = self.planned_images
        return {k: after[k] for k in ("revision", "images", "replicas")}

    def close(self):
        if self.kube is not None:
            self.kube.connection.close()


def with_tag(image, tag):
    """``image`` with its tag (and digest) replaced by ``tag``; a registry port is not a tag."""
    base = image.split("@", 1)[0]
    slash = base.rfind("/")
    colon = base.rfind(":")
    if colon > slash:
        base = base[:colon]
    return f"{base}:{tag}"


def _images_text(images):
    return ", ".join(f"{c}={i}" for c, i in images.items())


def _rolled_back(deployment):
    raw = ((deployment.get("metadata") or {}).get("annotations") or {}).get(ROLLED_BACK)
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def connection_errors():
    """Exceptions a connection attempt raises that are the user's to fix (no library, a bad kubeconfig)."""
    found = [KubeError]
    try:
        from kubernetes.config.config_exception import ConfigException

        found.append(ConfigException)
    except ImportError:
        pass
    return tuple(found)


def deployment_status(connection, namespace, name):
    """One Deployment as on-call reads it (no write): ``deployment`` (as kube_rollout returns it), ``previous``
    (revision and images, or None), ``history`` and ``hpa`` (``min``, ``max``, ``name``, or None); None when the
    Deployment does not exist."""
    procedure = Rollout(lambda: connection, {"namespace": namespace, "name": name, "action": "status"}, True)
    try:
        procedure.preflight(with_hpa=True)
    except PreconditionFailed:
        if procedure.live is None:
            return None
        raise
    autoscaler = procedure.extra_result().get("autoscaler")
    return {
        "deployment": procedure.result(),
        "previous": procedure.previous_summary,
        "history": procedure.history,
        "hpa": (
            {"min": autoscaler["min_replicas"], "max": autoscaler["max_replicas"], "name": autoscaler["name"]}
            if autoscaler
            else None
        ),
    }
