# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Point the application's connection secret at a restored database (instance or Aurora cluster)."""

from __future__ import annotations

import json

from ..connection import find_secret
from ..platform import PreconditionFailed
from ..platform import client_token
from ..platform import not_found


def repoint_secret(sm, params, changes, host, reader_host, port, master_secret_arn):
    """The connection secret the services read names ``host`` (a restart makes them read it); returns what moved."""
    key = params["repoint_secret"]
    arn = find_secret(sm, params["platform"], params["environment"], key)
    if not arn:
        raise PreconditionFailed(
            f"repoint_secret: no connection secret {key} for {params['platform']}-{params['environment']}"
        )
    current = not_found(lambda: sm.get_secret_value(SecretId=arn, aws_retry=True), "ResourceNotFoundException")
    try:
        value = json.loads((current or {}).get("SecretString") or "{}")
    except ValueError:
        value = {}
    wanted = dict(value, host=host, reader_host=reader_host, port=port)
    if master_secret_arn:
        wanted["master_secret_arn"] = master_secret_arn
    moved = {"key": key, "arn": arn, "from_host": value.get("host"), "to_host": host}
    if wanted != value and changes.add(f"repoint secret {key}: host {value.get('host')} -> {host}"):
        sm.put_secret_value(
            SecretId=arn,
            SecretString=json.dumps(wanted, sort_keys=True),
            ClientRequestToken=client_token(),
            aws_retry=True,
        )
    return moved
