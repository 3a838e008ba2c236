"""The emulator behaviour that fixes moto's ModifySecurityGroupRules for group-referencing rules."""

from __future__ import annotations


def _groups(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    app = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)["GroupId"]
    db = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=db,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 5432,
                "ToPort": 5432,
                "UserIdGroupPairs": [{"GroupId": app, "Description": "old"}],
            },
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "old"}],
            },
        ],
    )
    return app, db


def _modify(ec2, db, rule, **source):
    ec2.modify_security_group_rules(
        GroupId=db,
        SecurityGroupRules=[
            {
                "SecurityGroupRuleId": rule["SecurityGroupRuleId"],
                "SecurityGroupRule": {
                    "IpProtocol": "tcp",
                    "FromPort": rule["FromPort"],
                    "ToPort": rule["ToPort"],
                    "Description": "new",
                    **source,
                },
            }
        ],
    )


def test_description_of_a_group_reference_changes(emulator):
    ec2 = emulator.boto3_client("ec2")
    app, db = _groups(emulator.boto3_client("ec2"))
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [db]}])["SecurityGroupRules"]
    rule = next(r for r in rules if r.get("FromPort") == 5432)
    _modify(ec2, db, rule, ReferencedGroupId=app)
    permission = next(
        p
        for p in ec2.describe_security_groups(GroupIds=[db])["SecurityGroups"][0]["IpPermissions"]
        if p["FromPort"] == 5432
    )
    assert [pair["Description"] for pair in permission["UserIdGroupPairs"]] == ["new"]
    assert permission["IpRanges"] == []
    assert "ec2-sg-rule-description" in [b["name"] for b in emulator.behaviours()]


def test_description_of_a_cidr_rule_still_changes(emulator):
    ec2 = emulator.boto3_client("ec2")
    _app, db = _groups(ec2)
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [db]}])["SecurityGroupRules"]
    rule = next(r for r in rules if r.get("FromPort") == 22)
    _modify(ec2, db, rule, CidrIpv4="10.0.0.0/8")
    permission = next(
        p
        for p in ec2.describe_security_groups(GroupIds=[db])["SecurityGroups"][0]["IpPermissions"]
        if p["FromPort"] == 22
    )
    assert permission["IpRanges"] == [{"CidrIp": "10.0.0.0/8", "Description": "new"}]
