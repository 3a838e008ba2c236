# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Setting a Deployment's images (or one tag for all its containers); with ``rollback``, a rollout that fails
is undone to the template that ran before, waited for, and the failure still reported."""

from __future__ import annotations

import copy

from ..platform import PlatformError
from ..platform import PreconditionFailed
from .deployment import _images_text
from .deployment import images_of
from .deployment import revision_of
from .deployment import summary
from .deployment import with_tag
from .deployment import without_hash


class SetImage:
    """One set_image: the new template, one replace, the wait, the undo after a failure."""

    def __init__(self, owner):
        self.o = owner

    def run(self):
        o = self.o
        o.preflight()
        old_template = copy.deepcopy(o.live["spec"]["template"])
        new_template = self._template_with_images(old_template)
        old_images, new_images = images_of(old_template), images_of(new_template)
        o.planned_images = new_images
        if without_hash(new_template) != without_hash(old_template):
            moves = ", ".join(
                f"{c} {old_images[c]} -> {new_images[c]}" for c in new_images if old_images[c] != new_images[c]
            )
            if o.changes.add(f"set the images of {o.key}: {moves}"):
                with o.phases.phase("set_image") as entry:
                    o.replace(lambda d: d["spec"].__setitem__("template", new_template))
                    entry["revision"] = revision_of(o.live)
        try:
            o.wait_rollout()
        except PlatformError as error:
            if not o.params.get("rollback") or not o.changes:
                raise
            self._undo(old_template, error)

    def _template_with_images(self, template):
        o = self.o
        template = copy.deepcopy(template)
        pod = template.setdefault("spec", {})
        containers = pod.get("containers") or []
        images = o.params.get("images")
        if images:
            everything = {c["name"]: c for c in containers + (pod.get("initContainers") or [])}
            unknown = sorted(set(images) - set(everything))
            if unknown:
                raise PreconditionFailed(
                    f"images.{unknown[0]}: {o.key} has no container {unknown[0]} "
                    f"(it has {', '.join(sorted(everything)) or 'none'})"
                )
            for container, image in images.items():
                everything[container]["image"] = image
        else:
            for container in containers:
                container["image"] = with_tag(container.get("image", ""), str(o.params["tag"]))
        return template

    def _undo(self, old_template, error):
        """After a failed rollout: the template that ran before, waited for, and the failure still reported."""
        o = self.o
        failed_revision = revision_of(o.live)
        o.changes.add(f"roll {o.key} back to the images it ran before ({_images_text(images_of(old_template))})")
        with o.phases.phase("rollback"):
            o.read()
            o.replace(lambda d: d["spec"].__setitem__("template", copy.deepcopy(old_template)))
        o.wait_rollout("wait_rollback")
        raise PlatformError(
            f"{error} - rolled back: {o.key} runs revision {revision_of(o.live)} "
            f"({_images_text(images_of(o.live['spec']['template']))}) again; revision {failed_revision} failed",
            deployment=summary(o.live),
            rolled_back_to=f"revision {revision_of(o.live)}",
        )
