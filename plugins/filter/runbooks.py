# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The rules a runbook's inputs follow beyond their types: formats, ranges, combinations.

``{{ inputs | stackops.platform.runbook_input_errors('deploy') }}`` returns every broken rule as a message that
starts with the extra var's name, for the runbooks role's validate step (before any API call).
"""

from __future__ import annotations

import re

# ECS service names (up to 255 letters, digits, hyphens, underscores) and Kubernetes names (DNS-1123 labels).
_SERVICE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$")
_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_IMAGE = re.compile(
    r"^(?:[a-zA-Z0-9.-]+(?::\d+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$"
)
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_CONTAINER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$")
MUTATING = ("deploy", "rollback", "scale", "restart")
RUNBOOKS = (*MUTATING, "diagnose")


def _set(value):
    return value is not None and value != ""


def _int(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return None


def _bounded(errors, inputs, name, low, high=None):
    value = inputs.get(name)
    if not _set(value):
        return None
    number = _int(value)
    if number is None:
        errors.append(f"{name}: {value!r} is not a whole number")
    elif number < low or (high is not None and number > high):
        errors.append(
            f"{name}: {number} is out of range ({low} to {high})"
            if high is not None
            else f"{name}: must be at least {low}, got {number}"
        )
    return number


def runbook_input_errors(inputs, runbook):
    if runbook not in RUNBOOKS:
        return [f"runbook: {runbook!r} is not one of {', '.join(RUNBOOKS)}"]
    inputs = dict(inputs or {})
    errors = []
    service = inputs.get("service")
    if not _set(service):
        errors.append("service: required (-e service=NAME)")
    elif not _SERVICE.match(str(service)):
        errors.append(
            f"service: {service!r} is not a service name (letters, digits, - and _, starting with a letter or digit)"
        )
    namespace = inputs.get("kube_namespace")
    if _set(namespace) and not _NAMESPACE.match(str(namespace)):
        errors.append(
            f"kube_namespace: {namespace!r} is not a Kubernetes namespace (lowercase letters, digits, -; at most 63)"
        )
    if runbook in MUTATING:
        _bounded(errors, inputs, "wait_timeout", 1, 86400)
        smoke = inputs.get("smoke_url")
        if _set(smoke) and not re.match(r"^https?://[^\s/]+", str(smoke)):
            errors.append(f"smoke_url: {smoke!r} is not an http:// or https:// URL")
        confirm = inputs.get("confirm")
        if _set(confirm) and _set(service) and str(confirm) != str(service):
            errors.append(f"confirm: {confirm!r} does not match service {service!r} (pass -e confirm={service})")
    if runbook == "deploy":
        image, tag, images = inputs.get("image"), inputs.get("tag"), inputs.get("images")
        given = [n for n, v in (("image", image), ("tag", tag), ("images", images)) if _set(v) and v != {}]
        if not given:
            errors.append("image: give one of image (-e image=REF), tag (-e tag=1.4.3) or images (a dict)")
        elif len(given) > 1:
            errors.append(f"{', '.join(given)}: give only one of them")
        if _set(image) and not _IMAGE.match(str(image)):
            errors.append(
                f"image: {image!r} is not an image reference ([registry/]repository[:tag][@sha256:digest], lowercase)"
            )
        if _set(tag) and not _TAG.match(str(tag)):
            errors.append(
                f"tag: {tag!r} is not an image tag (letters, digits, _ . -, at most 128, not starting with . or -)"
            )
        if _set(images):
            if not isinstance(images, dict):
                errors.append("images: must be a dict of container name to image")
            else:
                for name, ref in images.items():
                    if not _CONTAINER.match(str(name)):
                        errors.append(f"images: {name!r} is not a container name")
                    if not isinstance(ref, str) or not _IMAGE.match(ref):
                        errors.append(f"images.{name}: {ref!r} is not an image reference")
        container = inputs.get("container")
        if _set(container) and not _CONTAINER.match(str(container)):
            errors.append(f"container: {container!r} is not a container name")
    if runbook == "rollback":
        _bounded(errors, inputs, "revision", 1)
    if runbook == "scale":
        count = _bounded(errors, inputs, "count", 0, 5000)
        low = _bounded(errors, inputs, "min", 0, 5000)
        high = _bounded(errors, inputs, "max", 0, 5000)
        if not _set(inputs.get("count")):
            errors.append("count: required (-e count=N)")
        if low is not None and high is not None and low > high:
            errors.append(f"min: {low} is above max {high}")
        if count is not None and low is not None and count < low:
            errors.append(f"count: {count} is below min {low}")
        if count is not None and high is not None and count > high:
            errors.append(f"count: {count} is above max {high}")
    if runbook == "diagnose":
        _bounded(errors, inputs, "lines", 1, 1000)
        _bounded(errors, inputs, "minutes", 1, 1440)
        pattern = inputs.get("filter_pattern")
        if pattern is not None and (not isinstance(pattern, str) or len(pattern) > 1024):
            errors.append("filter_pattern: must be a CloudWatch Logs filter pattern of at most 1024 characters")
    return errors


class FilterModule:
    def filters(self):
        return {"runbook_input_errors": runbook_input_errors}
