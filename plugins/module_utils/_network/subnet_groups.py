# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The RDS and ElastiCache subnet groups over the database subnets, made here so the data tiers find them."""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ..platform import tag_changes


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
        database = [o.ids.get(k) for k in (o.desired["db_subnet_group"] or [])]
        name = o.names.subnet_group
        tags = o.tags(name)
        description = f"{o.names.base} database subnets"
        state = o.state
        if o.desired["db_subnet_group"] is not None:
            group = state.db_subnet_group
            if group is None:
                if o.changes.add(f"create DB subnet group {name}"):
                    o.rds.create_db_subnet_group(
                        DBSubnetGroupName=name,
                        DBSubnetGroupDescription=description,
                        SubnetIds=database,
                        Tags=ansible_dict_to_boto3_tag_list(tags),
                        aws_retry=True,
                    )
            else:
                have = {s["SubnetIdentifier"] for s in group["Subnets"]}
                if have != set(database) and o.changes.add(f"DB subnet group {name}: set subnets"):
                    o.rds.modify_db_subnet_group(DBSubnetGroupName=name, SubnetIds=database, aws_retry=True)
                arn = group["DBSubnetGroupArn"]
                to_set, to_unset = tag_changes(state.db_subnet_group_tags, tags, o.p["purge_tags"])
                if to_set and o.changes.add(f"tag DB subnet group {name}"):
                    o.rds.add_tags_to_resource(
                        ResourceName=arn, Tags=ansible_dict_to_boto3_tag_list(to_set), aws_retry=True
                    )
                if to_unset and o.changes.add(f"untag DB subnet group {name}"):
                    o.rds.remove_tags_from_resource(ResourceName=arn, TagKeys=to_unset, aws_retry=True)
        elif state.db_subnet_group and o.managed_tags(state.db_subnet_group_tags):
            self._delete_db_later()
        if o.desired["cache_subnet_group"] is not None:
            group = state.cache_subnet_group
            if group is None:
                if o.changes.add(f"create ElastiCache subnet group {name}"):
                    o.elasticache.create_cache_subnet_group(
                        CacheSubnetGroupName=name,
                        CacheSubnetGroupDescription=description,
                        SubnetIds=database,
                        Tags=ansible_dict_to_boto3_tag_list(tags),
                        aws_retry=True,
                    )
            else:
                have = {s["SubnetIdentifier"] for s in group["Subnets"]}
                if have != set(database) and o.changes.add(f"ElastiCache subnet group {name}: set subnets"):
                    o.elasticache.modify_cache_subnet_group(
                        CacheSubnetGroupName=name, SubnetIds=database, aws_retry=True
                    )
                arn = group["ARN"]
                to_set, to_unset = tag_changes(state.cache_subnet_group_tags, tags, o.p["purge_tags"])
                if to_set and o.changes.add(f"tag ElastiCache subnet group {name}"):
                    o.elasticache.add_tags_to_resource(
                        ResourceName=arn, Tags=ansible_dict_to_boto3_tag_list(to_set), aws_retry=True
                    )
                if to_unset and o.changes.add(f"untag ElastiCache subnet group {name}"):
                    o.elasticache.remove_tags_from_resource(ResourceName=arn, TagKeys=to_unset, aws_retry=True)
        elif state.cache_subnet_group and o.managed_tags(state.cache_subnet_group_tags):
            self._delete_cache_later()

    def teardown(self):
        state = self.o.state
        if state.db_subnet_group and self.o.managed_tags(state.db_subnet_group_tags):
            self._delete_db_later(state.db_subnet_group["DBSubnetGroupName"])
        if state.cache_subnet_group and self.o.managed_tags(state.cache_subnet_group_tags):
            self._delete_cache_later(state.cache_subnet_group["CacheSubnetGroupName"])

    def _delete_db_later(self, name=None):
        rds, name = self.o.rds, name or self.o.names.subnet_group
        self.o.defer(
            f"delete DB subnet group {name}", lambda: rds.delete_db_subnet_group(DBSubnetGroupName=name, aws_retry=True)
        )

    def _delete_cache_later(self, name=None):
        elasticache, name = self.o.elasticache, name or self.o.names.subnet_group
        self.o.defer(
            f"delete ElastiCache subnet group {name}",
            lambda: elasticache.delete_cache_subnet_group(CacheSubnetGroupName=name, aws_retry=True),
        )
