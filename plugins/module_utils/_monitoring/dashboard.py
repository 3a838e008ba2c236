# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The CloudWatch dashboard: PutDashboard only when its body differs."""

from __future__ import annotations

import json

from . import spec as sp


def sections(body):
    """The dashboard's section titles (its text widgets), for the diff and the change sentence."""
    if not body:
        return []
    try:
        widgets = json.loads(body).get("widgets") or []
    except ValueError:
        return []
    return [w["properties"]["markdown"].lstrip("# ") for w in widgets if w.get("type") == "text"]


class Dashboard:
    def __init__(self, owner):
        self.o = owner

    def converge(self):
        o = self.o
        body = sp.dashboard_body(o.p, o.region)
        current = json.loads(o.dashboard) if o.dashboard else None
        if current == json.loads(sp.dashboard_json(body)):
            return
        name = o.dashboard_name()
        verb = "create" if current is None else "update"
        if o.changes.add(
            f"{verb} dashboard {name} (sections: {', '.join(sections(sp.dashboard_json(body))) or 'none'})"
        ):
            o.clients["cloudwatch"].put_dashboard(
                DashboardName=name, DashboardBody=sp.dashboard_json(body), aws_retry=True
            )
