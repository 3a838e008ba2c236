# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The RDS and ElastiCache subnet groups over the database subnets, made here so the data tiers find them."""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ..platform import create_once
from ..platform import not_found
from ..platform import sync_tags


class SubnetGroups:
    def __init__(self, owner):
        self.o = owner

    def before(self, sym):
        state = self.o.state
        groups = {}
        for key, group, field in (
            ("db_subnet_group", state.db_subnet_group, "SubnetIdentifier"),
            ("cache_subnet_group", state.cache_subnet_group, "SubnetIdentifier"),
        ):
            groups[key] = sorted(sym.get(s[field], s[field]) for s in group["Subnets"]) if group else None
        return groups

    def converge(self):
        o = self.o
        for kind in KINDS:
            if o.desired[kind.key] is not None:
                self._converge(kind, [o.ids.get(k) for k in o.desired[kind.key]])
            elif getattr(o.state, kind.key) and o.managed_tags(getattr(o.state, f"{kind.key}_tags")):
                self._delete_later(kind, o.names.subnet_group)

    def _converge(self, kind, subnet_ids):
        o = self.o
        client, name, api = getattr(o, kind.client), o.names.subnet_group, kind.api
        tags = o.tags(name)
        group = getattr(o.state, kind.key)
        if group is None:
            if o.changes.add(f"create {kind.label} {name}"):
                create_once(
                    lambda: getattr(client, f"create_{api.lower()}_subnet_group")(
                        **{
                            f"{api}SubnetGroupName": name,
                            f"{api}SubnetGroupDescription": f"{o.names.base} database subnets",
                        },
                        SubnetIds=subnet_ids,
                        Tags=ansible_dict_to_boto3_tag_list(tags),
                    ),
                    lambda: not_found(
                        lambda: getattr(client, f"describe_{api.lower()}_subnet_groups")(
                            **{f"{api}SubnetGroupName": name}, aws_retry=True
                        ),
                        f"{api}SubnetGroupNotFoundFault",
                    ),
                    f"{kind.label} {name}",
                    o.warnings,
                )
            return
        have = {s["SubnetIdentifier"] for s in group["Subnets"]}
        if have != set(subnet_ids) and o.changes.add(f"{kind.label} {name}: set subnets"):
            getattr(client, f"modify_{api.lower()}_subnet_group")(
                **{f"{api}SubnetGroupName": name}, SubnetIds=subnet_ids, aws_retry=True
            )
        current = getattr(o.state, f"{kind.key}_tags")
        sync_tags(o.changes, client, "rds", group[kind.arn], f"{kind.label} {name}", current, tags, o.purge_tags)

    def teardown(self):
        for kind in KINDS:
            group = getattr(self.o.state, kind.key)
            if group and self.o.managed_tags(getattr(self.o.state, f"{kind.key}_tags")):
                self._delete_later(kind, group[f"{kind.api}SubnetGroupName"])

    def _delete_later(self, kind, name):
        delete = getattr(getattr(self.o, kind.client), f"delete_{kind.api.lower()}_subnet_group")
        self.o.defer(
            f"delete {kind.label} {name}", lambda: delete(**{f"{kind.api}SubnetGroupName": name}, aws_retry=True)
        )


class _Kind:
    def __init__(self, key, label, client, api, arn):
        self.key = key  # the layout's key, and NetworkState's attribute (with ``_tags``)
        self.label = label
        self.client = client  # the reconciler's client attribute
        self.api = api  # ``DB`` / ``Cache``: the APIs' spelling (create_db_subnet_group, DBSubnetGroupName)
        self.arn = arn


# RDS and ElastiCache subnet groups work alike (both tag through add_tags_to_resource); only the names differ.
KINDS = (
    _Kind("db_subnet_group", "DB subnet group", "rds", "DB", "DBSubnetGroupArn"),
    _Kind("cache_subnet_group", "ElastiCache subnet group", "elasticache", "Cache", "ARN"),
)
