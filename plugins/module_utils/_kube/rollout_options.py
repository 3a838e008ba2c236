# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""kube_rollout's options checked together, before any call: each broken rule names the option."""

from __future__ import annotations

import os
import re

from .spec import DNS1123_LABEL
from .spec import DNS1123_SUBDOMAIN

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
