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

The procedure reads the Deployment, its ReplicaSets and autoscaler, makes the one replace a run writes and waits
for the rollout; the actions that need more are parts: ``set_image.py``, ``rollback.py``, ``scale.py``. What a
Deployment's state means is in ``deployment.py``, the options' checks in ``rollout_options.py``.
"""

from __future__ import annotations

import copy
import datetime

from ..platform import Changes
from ..platform import Phases
from ..platform import PlatformError
from ..platform import PreconditionFailed
from ..platform import ResourceTimeout
from ..platform import wait_for
from .apply import KubeError
from .deployment import ACTIONS
from .deployment import CONFLICT_RETRIES
from .deployment import RESTARTED_AT
from .deployment import REVISION
from .deployment import Kube
from .deployment import _Conflict
from .deployment import images_of
from .deployment import revision_of
from .deployment import rollout_state
from .deployment import summary
from .deployment import with_tag
from .deployment import without_hash
from .rollback import Rollback
from .rollout_options import validate
from .scale import Scale
from .set_image import SetImage

__all__ = [
    "ACTIONS",
    "RESTARTED_AT",
    "REVISION",
    "Kube",
    "Rollout",
    "connection_errors",
    "deployment_status",
    "images_of",
    "rollout_state",
    "summary",
    "validate",
    "with_tag",
]


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
        SetImage(self).run()

    def do_rollback(self):
        Rollback(self).run()

    def do_scale(self):
        Scale(self).run()

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
