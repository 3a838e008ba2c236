# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json
import os

import yaml


def _load(policy, base_dir):
    if not isinstance(policy, dict) or not policy.get("file") or policy.get("document") is not None:
        return policy
    path = os.path.expanduser(str(policy["file"]))
    if not os.path.isabs(path):
        path = os.path.join(base_dir or "", path)
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        return policy  # validation says which file cannot be read
    try:
        document = json.loads(text)
    except ValueError:
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError:
            return policy
    if not isinstance(document, dict):
        return policy
    return {**{k: v for k, v in policy.items() if k != "file"}, "document": document}


def iam_policy_files(items, base_dir=""):
    """Policies with ``file`` get ``document`` (JSON or YAML read on the controller; relative paths from
    ``base_dir``). ``items`` is a list of policies, or of roles that carry theirs under ``policies``."""
    result = []
    for item in items or []:
        if isinstance(item, dict) and isinstance(item.get("policies"), list):
            result.append({**item, "policies": [_load(p, base_dir) for p in item["policies"]]})
        elif isinstance(item, dict) and "file" in item:
            result.append(_load(item, base_dir))
        else:
            result.append(item)
    return result


class FilterModule:
    def filters(self):
        return {"iam_policy_files": iam_policy_files}
