# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Rolling a Deployment back to the template of an older ReplicaSet (the previous one, or the revision asked
for), recording which template it went to so that a second run changes nothing."""

from __future__ import annotations

import copy
import json

from ..platform import PreconditionFailed
from .deployment import HASH_LABEL
from .deployment import ROLLED_BACK
from .deployment import _images_text
from .deployment import _rolled_back
from .deployment import images_of
from .deployment import revision_of
from .deployment import without_hash


class Rollback:
    """One rollback: the target ReplicaSet chosen from the history, one replace, the wait."""

    def __init__(self, owner):
        self.o = owner

    def run(self):
        o = self.o
        o.preflight()
        current = o.current_replica_set()
        current_hash = ((current or {}).get("metadata", {}).get("labels") or {}).get(HASH_LABEL)
        wanted = o.params.get("revision")
        record = _rolled_back(o.live)
        if wanted is None and record and current_hash and record.get("to") == current_hash:
            o.warnings.append(
                f"{o.key} was already rolled back from revision {record.get('from_revision')} to this template "
                f"(revision {revision_of(o.live)}): nothing to do (give revision to go elsewhere)"
            )
            o.wait_rollout()
            return
        if wanted is None:
            target = o.previous_replica_set()
            if target is None:
                raise PreconditionFailed(
                    f"{o.key} has no previous revision to roll back to (history: "
                    f"{', '.join(str(h['revision']) for h in o.history) or 'none'})"
                )
        else:
            target = next((rs for rs in o.replica_sets if revision_of(rs) == wanted), None)
            if target is None:
                raise PreconditionFailed(
                    f"revision: {wanted} is not in the rollout history of {o.key} "
                    f"(revisions: {', '.join(str(h['revision']) for h in o.history) or 'none'})"
                )
        target_template = without_hash(target["spec"]["template"])
        if target_template == without_hash(o.live["spec"]["template"]):
            o.warnings.append(f"{o.key} already runs the template of revision {revision_of(target)}")
            o.wait_rollout()
            return
        target_hash = (target["metadata"].get("labels") or {}).get(HASH_LABEL)
        from_revision = revision_of(o.live)
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

        if o.changes.add(
            f"roll back {o.key} from revision {from_revision} ({_images_text(images_of(o.live['spec']['template']))}) "
            f"to revision {revision_of(target)} ({_images_text(images_of(target_template))})"
        ):
            with o.phases.phase("rollback") as entry:
                o.replace(change)
                entry["revision"] = revision_of(o.live)
        o.wait_rollout()
