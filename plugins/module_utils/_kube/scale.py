# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Scaling a Deployment: its replica count, or the bounds of the HorizontalPodAutoscaler that manages it (the
autoscaler rewrites the count on its own, so its bounds are what lasts)."""

from __future__ import annotations

import copy

from ..platform import PreconditionFailed


class Scale:
    """One scale: the autoscaler's bounds first, then the replica count, then the wait."""

    def __init__(self, owner):
        self.o = owner

    def run(self):
        o = self.o
        o.preflight(with_hpa=True)
        replicas = o.params.get("replicas")
        low, high = o.params.get("min_replicas"), o.params.get("max_replicas")
        if o.hpa is None and (low is not None or high is not None):
            option = "min_replicas" if low is not None else "max_replicas"
            raise PreconditionFailed(f"{option}: no HorizontalPodAutoscaler manages {o.key}; give replicas alone")
        if o.hpa is not None:
            hpa_spec = o.hpa["spec"]
            new_low = low if low is not None else hpa_spec.get("minReplicas", 1)
            new_high = high if high is not None else hpa_spec["maxReplicas"]
            hpa_name = o.hpa["metadata"]["name"]
            if new_low > new_high:
                raise PreconditionFailed(
                    f"min_replicas: {new_low} is more than the maximum {new_high} of the autoscaler {hpa_name}"
                )
            if replicas is not None and not new_low <= replicas <= new_high:
                raise PreconditionFailed(
                    f"replicas: {replicas} is outside {new_low}..{new_high}, the bounds of the autoscaler {hpa_name} "
                    f"that manages {o.key} (it would scale the Deployment back); give min_replicas/max_replicas too"
                )
            o.warnings.append(
                f"the autoscaler {hpa_name} manages {o.key}: it keeps the replica count within "
                f"{new_low}..{new_high} and changes it with load; those bounds are what lasts"
            )
            if (new_low, new_high) != (hpa_spec.get("minReplicas", 1), hpa_spec["maxReplicas"]):
                if o.changes.add(
                    f"set the bounds of autoscaler {o.namespace}/{hpa_name} from "
                    f"{hpa_spec.get('minReplicas', 1)}..{hpa_spec['maxReplicas']} to {new_low}..{new_high}"
                ):
                    with o.phases.phase("scale_autoscaler"):
                        body = copy.deepcopy(o.hpa)
                        body.pop("status", None)
                        body["spec"]["minReplicas"], body["spec"]["maxReplicas"] = new_low, new_high
                        path = f"/apis/autoscaling/v2/namespaces/{o.namespace}/horizontalpodautoscalers/{hpa_name}"
                        o.hpa = o.kube.call("PUT", path, f"updating autoscaler {hpa_name}", body=body)
            current = o.live["spec"].get("replicas", 1)
            if replicas is None and not new_low <= current <= new_high:
                replicas = min(max(current, new_low), new_high)  # what the autoscaler would do at once
        current = o.live["spec"].get("replicas", 1)
        if replicas is not None and replicas != current:
            if o.changes.add(f"scale {o.key} from {current} to {replicas} replicas"):
                with o.phases.phase("scale"):
                    o.replace(lambda d: d["spec"].__setitem__("replicas", replicas))
        o.wait_rollout()
