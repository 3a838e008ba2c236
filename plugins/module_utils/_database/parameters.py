# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The tier's DB (or DB cluster, for Aurora) parameter group: created, then set to exactly the spec's values."""

from __future__ import annotations

from ..platform import create_once
from ..platform import not_found
from . import spec as sp


class ParameterGroup:
    def __init__(self, owner):
        self.o = owner

    @staticmethod
    def _cluster_group_calls(rds, name, kwargs):
        def create():
            return rds.create_db_cluster_parameter_group(DBClusterParameterGroupName=name, **kwargs)

        def find():
            return not_found(
                lambda: rds.describe_db_cluster_parameter_groups(DBClusterParameterGroupName=name, aws_retry=True),
                "DBParameterGroupNotFound",
            )

        return create, find

    @staticmethod
    def _instance_group_calls(rds, name, kwargs):
        def create():
            return rds.create_db_parameter_group(DBParameterGroupName=name, **kwargs)

        def find():
            return not_found(
                lambda: rds.describe_db_parameter_groups(DBParameterGroupName=name, aws_retry=True),
                "DBParameterGroupNotFound",
            )

        return create, find

    def converge(self):
        name, family = self.o.names.parameter_group, self.o.names.family
        desired = sp.desired_parameters(self.o.p.get("parameters"))
        if self.o.state.parameter_group is None:
            if self.o.changes.add(f"create parameter group {name} ({family})"):
                kwargs = dict(
                    DBParameterGroupFamily=family,
                    Description=f"{self.o.p['name']} PostgreSQL parameters (stackops)",
                    Tags=self.o.tag_list("parameters", name),
                )
                rds = self.o.rds
                if self.o.aurora:
                    create, find = self._cluster_group_calls(rds, name, kwargs)
                else:
                    create, find = self._instance_group_calls(rds, name, kwargs)
                create_once(create, find, f"parameter group {name}", self.o.warnings)
        current = self.o.state.parameters
        changed = [
            {"ParameterName": key, "ParameterValue": value, "ApplyMethod": method}
            for key, (value, method) in sorted(desired.items())
            if str((current.get(key) or {}).get("ParameterValue")) != value
        ]
        reset = [{"ParameterName": key, "ApplyMethod": "pending-reboot"} for key in sorted(set(current) - set(desired))]
        for item in changed:
            old = (current.get(item["ParameterName"]) or {}).get("ParameterValue")
            when = " (at the next reboot)" if item["ApplyMethod"] == "pending-reboot" else ""
            sentence = f"parameter group {name}: set {item['ParameterName']} {old if old is not None else 'default'} -> {item['ParameterValue']}{when}"
            self.o.changes.add(sentence)
        for item in reset:
            self.o.changes.add(f"parameter group {name}: reset {item['ParameterName']} to the default")
        if self.o.check_mode:
            return
        for start in range(0, len(changed), 20):  # ModifyDBParameterGroup takes 20 parameters per call
            batch = changed[start : start + 20]
            if self.o.aurora:
                self.o.rds.modify_db_cluster_parameter_group(
                    DBClusterParameterGroupName=name, Parameters=batch, aws_retry=True
                )
            else:
                self.o.rds.modify_db_parameter_group(DBParameterGroupName=name, Parameters=batch, aws_retry=True)
        for start in range(0, len(reset), 20):
            batch = reset[start : start + 20]
            if self.o.aurora:
                self.o.rds.reset_db_cluster_parameter_group(
                    DBClusterParameterGroupName=name, Parameters=batch, aws_retry=True
                )
            else:
                self.o.rds.reset_db_parameter_group(DBParameterGroupName=name, Parameters=batch, aws_retry=True)
