# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Metric alarms of one region: PutMetricAlarm only for alarms that differ; alarms of the tier's prefix that
left the spec are deleted last (DeleteAlarms takes up to 100 names per call)."""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from . import spec as sp


class Alarms:
    def __init__(self, owner):
        self.o = owner

    def converge(self, cloudwatch, current, desired):
        o = self.o
        for name, alarm in sorted(desired.items()):
            found = current.get(name)
            if found is not None and sp.comparable(found) == sp.comparable(alarm):
                continue
            if found is None:
                sentence = f"create alarm {name}: {sp.describe_alarm(alarm)}"
            else:
                sentence = f"update alarm {name}: {sp.describe_alarm(found)} to {sp.describe_alarm(alarm)}"
            if o.changes.add(sentence):
                params = dict(alarm)
                if found is None:
                    params["Tags"] = ansible_dict_to_boto3_tag_list(o.tags(name))
                cloudwatch.put_metric_alarm(aws_retry=True, **params)
        gone = sorted(set(current) - set(desired))
        for start in range(0, len(gone), 100):
            batch = gone[start : start + 100]
            o.defer(
                f"delete alarms no longer in the spec: {', '.join(batch)}",
                lambda batch=batch: cloudwatch.delete_alarms(AlarmNames=batch, aws_retry=True),
            )
