# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""SNS topics (alarms name them) and their subscriptions; where the billing alarms live in us-east-1, a billing
topic of their own there. Subscriptions no longer in the spec are removed last; pending ones are left alone."""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from . import spec as sp
from . import state as st


def topic_view(topic):
    return {
        "kms_key": topic["attributes"].get("KmsMasterKeyId"),
        "subscriptions": sorted(f"{s['Protocol']}:{s['Endpoint']}" for s in topic.get("subscriptions") or []),
    }


class Topics:
    def __init__(self, owner):
        self.o = owner

    def _arn(self, name, region=None):
        o = self.o
        return f"arn:{o.partition}:sns:{region or o.region}:{o.account}:{name}"

    def converge(self):
        o = self.o
        kms = o.p.get("kms_key_id")
        for topic in o.p["topics"]:
            name = o.topic_name(topic["name"])
            current = o.topics.get(name)
            arn = self._ensure(o.clients["sns"], name, current, kms)
            o.topic_arns[topic["name"]] = arn
            self._subscriptions(o.clients["sns"], topic["name"], arn, current, topic.get("subscriptions") or [])
        if o.billing_elsewhere:
            # Alarm actions must be in the alarm's region: billing alarms notify a topic of their own in us-east-1.
            name = o.topic_name("billing")
            current = o.billing_topic_arns.get("_current")
            # The key of another region cannot encrypt this topic: SNS's AWS managed key there.
            arn = self._ensure(o.clients["sns_billing"], name, current, "alias/aws/sns", sp.BILLING_REGION)
            subs = [s for t in o.p["topics"] if t["name"] == "critical" for s in t.get("subscriptions") or []]
            self._subscriptions(o.clients["sns_billing"], "billing", arn, current, subs)
            o.billing_topic_arns = {"critical": arn, "warning": arn}

    def _ensure(self, sns, name, current, kms, region=None):
        o = self.o
        if current is None:
            arn = self._arn(name, region)
            if o.changes.add(f"create SNS topic {name}" + (" (encrypted)" if kms else "")):
                attributes = {"KmsMasterKeyId": kms} if kms else {}
                # CreateTopic is idempotent by name: a retry after a lost response returns the same topic.
                arn = sns.create_topic(
                    Name=name,
                    Attributes=attributes,
                    Tags=ansible_dict_to_boto3_tag_list(o.tags(name)),
                    aws_retry=True,
                )["TopicArn"]
            return arn
        arn = current["arn"]
        if (kms or "") != (current["attributes"].get("KmsMasterKeyId") or "") and o.changes.add(
            f"SNS topic {name}: encryption key {current['attributes'].get('KmsMasterKeyId') or 'none'} to {kms or 'none'}"
        ):
            sns.set_topic_attributes(
                TopicArn=arn, AttributeName="KmsMasterKeyId", AttributeValue=kms or "", aws_retry=True
            )
        return arn

    def _subscriptions(self, sns, topic, arn, current, wanted):
        o = self.o
        existing = {(s["Protocol"], s["Endpoint"]): s for s in (current or {}).get("subscriptions") or []}
        wanted_keys = {(s["protocol"], s["endpoint"]) for s in wanted}
        for protocol, endpoint in sorted(wanted_keys):
            found = existing.get((protocol, endpoint))
            if found is not None:
                pending = found["SubscriptionArn"] == st.PENDING
                o.subscriptions.append(
                    dict(
                        topic=topic, protocol=protocol, endpoint=endpoint, status="pending" if pending else "confirmed"
                    )
                )
                if pending:
                    o.warnings.append(
                        f"topics.{topic}: the {protocol} subscription {endpoint} is pending confirmation "
                        "(the recipient must confirm it; it is not created again)"
                    )
                continue
            o.subscriptions.append(dict(topic=topic, protocol=protocol, endpoint=endpoint, status="pending"))
            if o.changes.add(f"subscribe {protocol}:{endpoint} to {o.topic_name(topic)}"):
                # Subscribe is idempotent for the same topic, protocol and endpoint.
                sns.subscribe(
                    TopicArn=arn, Protocol=protocol, Endpoint=endpoint, ReturnSubscriptionArn=False, aws_retry=True
                )
        for key, sub in sorted(existing.items()):
            if key in wanted_keys:
                continue
            if sub["SubscriptionArn"] == st.PENDING:
                o.warnings.append(
                    f"topics.{topic}: {key[0]}:{key[1]} is pending confirmation and not in the spec; "
                    "SNS deletes unconfirmed subscriptions after three days"
                )
                continue
            o.defer(
                f"unsubscribe {key[0]}:{key[1]} from {o.topic_name(topic)}",
                lambda sub=sub: sns.unsubscribe(SubscriptionArn=sub["SubscriptionArn"], aws_retry=True),
            )
