# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""EKS add-ons: installed at the version EKS recommends for the cluster's Kubernetes version, or updated."""

from __future__ import annotations

import json

from ..platform import ReconcileError
from ..platform import client_token
from .identity import normalise_json


class Addons:
    def __init__(self, owner):
        self.o = owner

    def check(self):
        """The version each add-on should run: the one given (offered for the cluster's Kubernetes version), else
        the one it runs when that is still offered, else EKS's default."""
        o = self.o
        for index, addon in enumerate(o.p.get("addons") or []):
            name, version = addon["name"], addon.get("version")
            available = o.state.catalogue.get(name)
            where = f"{o.var('addons')}[{index}]"
            if available is None:
                raise ReconcileError(f"{where}.name: EKS offers no add-on {name} for Kubernetes {o.p['version']}")
            if version in (None, "", "latest"):
                defaults = [v for v, default in available if default] or [v for v, _default in available]
                current = o.state.addons.get(name)
                if version != "latest" and current and current.get("addonVersion") in [v for v, _d in available]:
                    o.addon_versions[name] = current["addonVersion"]  # unpinned: keep a compatible version
                else:
                    o.addon_versions[name] = defaults[0]
            elif version not in [v for v, _d in available]:
                raise ReconcileError(
                    f"{where}.version: {name} {version} is not offered for Kubernetes {o.p['version']} "
                    f"(offered: {', '.join(v for v, _d in available)})"
                )
            else:
                o.addon_versions[name] = version

    def converge(self):
        o = self.o
        name = o.p["name"]
        for addon in o.p.get("addons") or []:
            addon_name = addon["name"]
            version = o.addon_versions[addon_name]
            role = addon.get("service_account_role_arn") or o.irsa_role_arns.get(addon.get("irsa_role") or "")
            current = o.state.addons.get(addon_name)
            if not current:
                request = {
                    "clusterName": name,
                    "addonName": addon_name,
                    "addonVersion": version,
                    "resolveConflicts": "OVERWRITE",
                    "tags": o.tags(f"{name}-{addon_name}"),
                    "clientRequestToken": client_token(),
                }
                if role:
                    request["serviceAccountRoleArn"] = role
                if addon.get("configuration_values"):
                    request["configurationValues"] = json.dumps(addon["configuration_values"], sort_keys=True)
                if o.changes.add(f"install add-on {addon_name} {version}"):
                    o.eks.create_addon(aws_retry=True, **request)
                continue
            update = {}
            if current.get("addonVersion") != version:
                update["addonVersion"] = version
            if role and current.get("serviceAccountRoleArn") != role:
                update["serviceAccountRoleArn"] = role
            if addon.get("configuration_values"):
                values = json.dumps(addon["configuration_values"], sort_keys=True)
                if normalise_json(current.get("configurationValues") or "{}") != values:
                    update["configurationValues"] = values
            if update:
                sentence = (
                    f"update add-on {addon_name} from {current.get('addonVersion')} to {version}"
                    if "addonVersion" in update
                    else f"update add-on {addon_name} ({', '.join(sorted(update))})"
                )
                if o.changes.add(sentence):
                    o.eks.update_addon(
                        clusterName=name,
                        addonName=addon_name,
                        resolveConflicts="PRESERVE",
                        clientRequestToken=client_token(),
                        aws_retry=True,
                        **update,
                    )
            o.tag_resource(
                current["addonArn"],
                current.get("tags") or {},
                o.tags(f"{name}-{addon_name}"),
                f"add-on {addon_name}",
            )
        wanted = {a["name"] for a in o.p.get("addons") or []}
        for addon_name in sorted(set(o.state.addons) - wanted):
            if o.p["purge_addons"] and o.changes.add(f"remove add-on {addon_name}"):
                o.eks.delete_addon(clusterName=name, addonName=addon_name, aws_retry=True)
