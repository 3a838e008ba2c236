"""ModifyDBInstance's DBPortNumber moves the instance to the new port.

AWS: "DBPortNumber: The port number on which the database accepts connections ... The change takes place
immediately; the DB instance is rebooted" (RDS API reference, ModifyDBInstance), and DescribeDBInstances then
shows the new port in Endpoint.Port. moto 5.2 ignores DBPortNumber, so a converge that changed the port
would see the old one every run. This behaviour lets moto act, then sets the port on the instance.
"""

from __future__ import annotations

from ._rds import instance
from ._rds import params_of


class RdsPortNumber:
    name = "rds-port-number"
    summary = "ModifyDBInstance with DBPortNumber moves the instance's endpoint to that port"
    documented_by = "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html"

    def reset(self):
        pass

    def __call__(self, request, forward):
        call = request.call
        if call.service != "rds" or call.operation != "ModifyDBInstance":
            return forward(request)
        params = params_of(request)
        response = forward(request)
        if response.ok and params.get("DBPortNumber"):
            found = instance(call.region, params.get("DBInstanceIdentifier"))
            if found is not None:
                found.port = int(params["DBPortNumber"])
        return response
