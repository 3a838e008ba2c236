"""What the Deployment controller does, over time, for the fake API server.

Kubernetes (https://kubernetes.io/docs/concepts/workloads/controllers/deployment/):

- "A Deployment provides declarative updates for Pods and ReplicaSets": each distinct pod template gets a
  ReplicaSet named ``<deployment>-<pod-template-hash>``; "the pod-template-hash label is added by the
  Deployment controller to every ReplicaSet that a Deployment creates or adopts" (on the ReplicaSet, its
  selector and its pod template).
- "A Deployment's rollout is triggered if and only if the Deployment's Pod template (that is,
  .spec.template) is changed"; scaling does not create a revision. The controller records the revision in
  the ``deployment.kubernetes.io/revision`` annotation of the ReplicaSet and of the Deployment; rolling back
  to an older template re-uses that template's ReplicaSet and gives it the next revision number. Old
  ReplicaSets are kept (scaled to 0) up to ``.spec.revisionHistoryLimit`` (default 10).
- RollingUpdate: the new ReplicaSet is scaled up and the old ones down so that at most ``maxSurge`` Pods
  above the desired count exist and at most ``maxUnavailable`` are unavailable (defaults 25% each; surge
  rounds up, unavailable down). Recreate: every old Pod goes before new ones start.
- Status: ``observedGeneration``, ``replicas`` (all ReplicaSets), ``updatedReplicas`` (the new one),
  ``readyReplicas``, ``availableReplicas``, ``unavailableReplicas`` and the conditions ``Available``
  (MinimumReplicasAvailable) and ``Progressing`` (ReplicaSetUpdated while rolling, NewReplicaSetAvailable
  when done). "Your Deployment may get stuck trying to deploy its newest ReplicaSet without ever
  completing" (image pull errors, failing probes); after ``.spec.progressDeadlineSeconds`` (default 600)
  without progress the controller sets ``Progressing`` to ``False`` with reason ``ProgressDeadlineExceeded``
  and does nothing else: no automatic rollback.

The fake has no Pods: a Pod of a good template becomes ready ``pod_ready_seconds`` after its ReplicaSet
scaled it up; a Pod whose template names an image in ``bad_images`` (exact, or a shell pattern such as
``*:broken``) never does. The controller acts in rounds of ``pod_ready_seconds``, computed from the time the
rollout started when anything reads the cluster, so a rollout advances with the wall clock alone.
"""

from __future__ import annotations

import copy
import datetime
import fnmatch
import hashlib
import json
import math
import time
import uuid

REVISION = "deployment.kubernetes.io/revision"
HASH_LABEL = "pod-template-hash"
RS_KEY = ("apps", "v1", "replicasets")
DEPLOYMENT_KEY = ("apps", "v1", "deployments")
# Settings a test can change through the control API (PUT /_stackops/kube/rollouts).
ROLLOUT_DEFAULTS = {"pod_ready_seconds": 1.0, "bad_images": []}
INSTANT = {"pod_ready_seconds": 0.0, "bad_images": []}
MAX_ROUNDS = 10000
# Kubernetes' SafeEncodeString alphabet: no vowels, no 0/1/3, so a hash never spells a word.
_ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"


def _now():
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def template_without_hash(template):
    template = copy.deepcopy(template or {})
    labels = (template.get("metadata") or {}).get("labels")
    if labels:
        labels.pop(HASH_LABEL, None)
    return template


def template_hash(template):
    digest = hashlib.sha256(json.dumps(template_without_hash(template), sort_keys=True).encode()).digest()
    return "".join(_ALPHANUMS[b % len(_ALPHANUMS)] for b in digest[:10])


def _resolve(value, total, round_up):
    """An intOrString of the rolling update (``1`` or ``"25%"``) as a Pod count."""
    if isinstance(value, str) and value.endswith("%"):
        share = total * float(value[:-1]) / 100
        return math.ceil(share) if round_up else math.floor(share)
    return int(value)


def rolling_bounds(spec, desired):
    strategy = spec.get("strategy") or {}
    if strategy.get("type") == "Recreate":
        return 0, desired
    rolling = strategy.get("rollingUpdate") or {}
    surge = _resolve(rolling.get("maxSurge", "25%"), desired, True)
    unavailable = _resolve(rolling.get("maxUnavailable", "25%"), desired, False)
    if surge == 0 and unavailable == 0:  # the API refuses this; the controller would then allow one unavailable
        unavailable = 1
    return surge, unavailable


class DeploymentController:
    """Keeps a cluster's ReplicaSets and Deployment statuses as the controller would have them by now."""

    def __init__(self, settings):
        self.settings = settings  # shared with the fake (the control API changes it in place)

    # -- what the fake calls -----------------------------------------------------------------------------------------

    def on_write(self, store, key, obj, current):
        """A Deployment was created or changed: its defaults, its ReplicaSet and, if needed, a new rollout."""
        spec = obj.setdefault("spec", {})
        spec.setdefault("replicas", 1)
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("progressDeadlineSeconds", 600)
        spec.setdefault(
            "strategy", {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}
        )
        namespace, name = key[3], key[4]
        annotations = obj["metadata"].setdefault("annotations", {})
        previous_annotations = ((current or {}).get("metadata") or {}).get("annotations") or {}
        if REVISION in previous_annotations:
            annotations[REVISION] = previous_annotations[REVISION]
        else:
            annotations.pop(REVISION, None)
        if current is not None:
            obj["status"] = copy.deepcopy(current.get("status") or {})
        owned = self._owned(store, namespace, obj)
        wanted = template_hash(spec.get("template"))
        new_rs = next((rs for rs in owned if rs["metadata"]["labels"].get(HASH_LABEL) == wanted), None)
        template_changed = current is None or template_without_hash(spec.get("template")) != template_without_hash(
            (current.get("spec") or {}).get("template")
        )
        now = time.monotonic()
        if new_rs is None or template_changed:
            top = max([_revision(rs) for rs in owned] + [0])
            if new_rs is None:
                new_rs = self._new_replica_set(store, namespace, obj, wanted)
            if new_rs not in owned or _revision(new_rs) != top:
                # A new template, or an older one again (a rollback): its ReplicaSet takes the next number.
                new_rs["metadata"]["annotations"][REVISION] = str(top + 1)
            annotations[REVISION] = new_rs["metadata"]["annotations"][REVISION]
            self._start(store, namespace, name, obj, new_rs, now)
        elif spec.get("replicas") != (current.get("spec") or {}).get("replicas") or (
            spec.get("strategy") != (current.get("spec") or {}).get("strategy")
        ):
            self._start(store, namespace, name, obj, new_rs, now)
        elif (namespace, name) not in store.rollouts:
            obj.setdefault("status", {})["observedGeneration"] = obj["metadata"].get("generation", 1)
        store.objects[key] = obj
        self._advance(store, namespace, name, now)

    def on_delete(self, store, key):
        """Garbage collection: a Deployment's ReplicaSets go with it."""
        namespace, name = key[3], key[4]
        store.rollouts.pop((namespace, name), None)
        for rs_key in [k for k in store.objects if k[:3] == RS_KEY and k[3] == namespace]:
            owners = store.objects[rs_key]["metadata"].get("ownerReferences") or []
            if any(o.get("kind") == "Deployment" and o.get("name") == name for o in owners):
                del store.objects[rs_key]

    def sync(self, store):
        """Bring every rollout of the cluster to where it would be now."""
        now = time.monotonic()
        for namespace, name in list(store.rollouts):
            self._advance(store, namespace, name, now)

    # -- ReplicaSets -------------------------------------------------------------------------------------------------

    @staticmethod
    def _owned(store, namespace, deployment):
        uid = deployment["metadata"].get("uid")
        return sorted(
            (
                rs
                for k, rs in store.objects.items()
                if k[:3] == RS_KEY
                and k[3] == namespace
                and any(o.get("uid") == uid for o in rs["metadata"].get("ownerReferences") or [])
            ),
            key=_revision,
        )

    @staticmethod
    def _new_replica_set(store, namespace, deployment, pod_hash):
        template = copy.deepcopy(deployment["spec"].get("template") or {})
        template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = pod_hash
        selector = copy.deepcopy(deployment["spec"].get("selector") or {})
        selector.setdefault("matchLabels", {})[HASH_LABEL] = pod_hash
        name = f"{deployment['metadata']['name']}-{pod_hash}"
        rs = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "uid": str(uuid.uuid4()),
                "resourceVersion": "1",
                "generation": 1,
                "creationTimestamp": _now(),
                "labels": dict(template["metadata"]["labels"]),
                "annotations": {REVISION: "0"},
                "ownerReferences": [
                    {
                        "apiVersion": "apps/v1",
                        "kind": "Deployment",
                        "name": deployment["metadata"]["name"],
                        "uid": deployment["metadata"]["uid"],
                        "controller": True,
                        "blockOwnerDeletion": True,
                    }
                ],
            },
            "spec": {"replicas": 0, "selector": selector, "template": template},
            "status": {"replicas": 0, "readyReplicas": 0, "availableReplicas": 0, "observedGeneration": 1},
        }
        store.objects[(*RS_KEY, namespace, name)] = rs
        return rs

    # -- rollouts ----------------------------------------------------------------------------------------------------

    def _start(self, store, namespace, name, deployment, new_rs, now):
        """A rollout (or a scale) starts from the Pods every ReplicaSet has now."""
        self._advance(store, namespace, name, now)  # where the previous rollout had got to
        owned = self._owned(store, namespace, deployment)
        pods = {}
        for rs in owned:
            status = rs.get("status") or {}
            pods[rs["metadata"]["name"]] = [rs["spec"].get("replicas", 0), status.get("readyReplicas", 0)]
        store.rollouts[(namespace, name)] = {
            "started": now,
            "new": new_rs["metadata"]["name"],
            "pods": pods,
            "bad": self._is_bad(deployment["spec"].get("template")),
            "done": False,
            "last_progress": now,
        }

    def _is_bad(self, template):
        pod = (template or {}).get("spec") or {}
        images = [c.get("image", "") for c in (pod.get("containers") or []) + (pod.get("initContainers") or [])]
        patterns = self.settings.get("bad_images") or []
        return any(fnmatch.fnmatchcase(image, pattern) for image in images for pattern in patterns)

    def _advance(self, store, namespace, name, now):
        rollout = store.rollouts.get((namespace, name))
        deployment = store.objects.get((*DEPLOYMENT_KEY, namespace, name))
        if rollout is None or deployment is None:
            store.rollouts.pop((namespace, name), None)
            return
        spec = deployment["spec"]
        desired = spec.get("replicas", 1)
        surge, unavailable = rolling_bounds(spec, desired)
        period = float(self.settings.get("pod_ready_seconds", 0) or 0)
        elapsed = now - rollout["started"]
        rounds = MAX_ROUNDS if period <= 0 else min(MAX_ROUNDS, int(elapsed // period))
        pods = {rs: list(counts) for rs, counts in rollout["pods"].items()}
        new = rollout["new"]
        pods.setdefault(new, [0, 0])
        last_change = 0
        for index in range(rounds + 1):
            before = json.dumps(pods, sort_keys=True)
            if index > 0 and not rollout["bad"]:
                pods[new][1] = pods[new][0]  # the Pods started last round are ready now
            _controller_round(pods, new, desired, surge, unavailable)
            if json.dumps(pods, sort_keys=True) != before:
                last_change = index
            elif index > 0:
                break  # nothing moves any more
        done = pods[new] == [desired, desired] and all(c[0] == 0 for rs, c in pods.items() if rs != new)
        progress_at = rollout["started"] + last_change * period
        timed_out = not done and now - progress_at > spec.get("progressDeadlineSeconds", 600)
        for rs_name, (replicas, ready) in pods.items():
            rs = store.objects.get((*RS_KEY, namespace, rs_name))
            if rs is None:
                continue
            rs["spec"]["replicas"] = replicas
            rs["status"] = {
                "replicas": replicas,
                "fullyLabeledReplicas": replicas,
                "readyReplicas": ready,
                "availableReplicas": ready,
                "observedGeneration": rs["metadata"].get("generation", 1),
            }
            if rs_name == new:
                rs["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] = str(desired)
                rs["metadata"]["annotations"]["deployment.kubernetes.io/max-replicas"] = str(desired + surge)
        total = sum(c[0] for c in pods.values())
        available = sum(c[1] for c in pods.values())
        status = {
            "observedGeneration": deployment["metadata"].get("generation", 1),
            "replicas": total,
            "updatedReplicas": pods[new][0],
            "readyReplicas": available,
            "availableReplicas": available,
        }
        if desired - available > 0:
            status["unavailableReplicas"] = desired - available
        previous = {c["type"]: c for c in (deployment.get("status") or {}).get("conditions") or []}
        minimum = available >= desired - unavailable
        if done:
            progressing = ("True", "NewReplicaSetAvailable", f'ReplicaSet "{new}" has successfully progressed.')
        elif timed_out:
            progressing = ("False", "ProgressDeadlineExceeded", f'ReplicaSet "{new}" has timed out progressing.')
        else:
            progressing = ("True", "ReplicaSetUpdated", f'ReplicaSet "{new}" is progressing.')
        status["conditions"] = [
            _condition(
                previous.get("Available"),
                "Available",
                ("True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
                if minimum
                else ("False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability."),
            ),
            _condition(previous.get("Progressing"), "Progressing", progressing),
        ]
        deployment["status"] = status
        if done:
            store.rollouts.pop((namespace, name), None)
            self._clean_up(store, namespace, deployment)

    def _clean_up(self, store, namespace, deployment):
        """Old ReplicaSets at 0 beyond ``revisionHistoryLimit`` go, oldest first."""
        limit = deployment["spec"].get("revisionHistoryLimit", 10)
        current = deployment["metadata"]["annotations"].get(REVISION)
        old = [
            rs for rs in self._owned(store, namespace, deployment) if rs["metadata"]["annotations"][REVISION] != current
        ]
        idle = [rs for rs in old if rs["spec"].get("replicas", 0) == 0]
        for rs in idle[: max(0, len(idle) - limit)]:
            store.objects.pop((*RS_KEY, namespace, rs["metadata"]["name"]), None)


def _controller_round(pods, new, desired, surge, unavailable):
    """One pass of the rolling-update logic: unhealthy old Pods first, then old down and new up within bounds."""
    old = [rs for rs in pods if rs != new]
    for rs in old:  # old Pods that are not ready count for nothing: removed at once
        pods[rs][0] = pods[rs][1]
    if pods[new][0] > desired:  # a scale down
        pods[new][0] = desired
        pods[new][1] = min(pods[new][1], desired)
    minimum = max(0, desired - unavailable)
    available = sum(c[1] for c in pods.values())
    removable = max(0, available - minimum)
    for rs in old:  # scale old ReplicaSets down, oldest (first in history order) first
        take = min(pods[rs][0], removable)
        pods[rs][0] -= take
        pods[rs][1] -= take
        removable -= take
    total = sum(c[0] for c in pods.values())
    room = desired + surge - total
    if room > 0 and pods[new][0] < desired:
        pods[new][0] += min(room, desired - pods[new][0])


def _condition(previous, kind, state):
    status, reason, message = state
    now = _now()
    changed = previous is None or previous.get("status") != status
    return {
        "type": kind,
        "status": status,
        "reason": reason,
        "message": message,
        "lastUpdateTime": now if previous is None or previous.get("reason") != reason else previous["lastUpdateTime"],
        "lastTransitionTime": now if changed else previous.get("lastTransitionTime", now),
    }


def _revision(rs):
    try:
        return int(((rs.get("metadata") or {}).get("annotations") or {}).get(REVISION, 0))
    except ValueError:
        return 0
