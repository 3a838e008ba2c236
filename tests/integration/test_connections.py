"""The data tiers hand the services their connection details in one site.yml run (read back with boto3)."""

from __future__ import annotations

import json

import pytest

HOST = "local-use1"


def secret_json(emulator, name, region="us-east-1"):
    return json.loads(emulator.boto3_client("secretsmanager", region).get_secret_value(SecretId=name)["SecretString"])


# The DR region is not converged under --limit: no bucket replicates into it, no backup is copied there.
ONE_REGION = {"storage_buckets": [], "backups_copy_region": ""}


def test_ecs_services_get_the_database_and_cache_from_one_site_run(emulator, playbook):
    run = playbook("site.yml", limit=HOST, extra_vars=ONE_REGION)
    assert run.rc == 0, run.messages()
    database = emulator.boto3_client("rds").describe_db_instances(DBInstanceIdentifier="demo-local-db")["DBInstances"][
        0
    ]
    connection = secret_json(emulator, "local/demo/database-connection")
    assert connection["host"] == database["Endpoint"]["Address"] and connection["port"] == database["Endpoint"]["Port"]
    assert connection["dbname"] == database["DBName"] and connection["username"] == database["MasterUsername"]
    assert connection["master_secret_arn"] == database["MasterUserSecret"]["SecretArn"]  # the one master password
    group = emulator.boto3_client("elasticache").describe_replication_groups(ReplicationGroupId="demo-local-cache")
    primary = group["ReplicationGroups"][0]["NodeGroups"][0]["PrimaryEndpoint"]
    cache = secret_json(emulator, "local/demo/cache-connection")
    assert (cache["host"], cache["port"], cache["tls"]) == (primary["Address"], primary["Port"], True)
    token = emulator.boto3_client("secretsmanager").describe_secret(SecretId=cache["auth_token_secret_arn"])
    assert token["Name"] == "local/demo/cache/auth-token"
    sm = emulator.boto3_client("secretsmanager")
    token_value = sm.get_secret_value(SecretId=cache["auth_token_secret_arn"])["SecretString"]
    password = json.loads(sm.get_secret_value(SecretId=connection["master_secret_arn"])["SecretString"])["password"]
    assert token_value not in json.dumps(cache) and password not in json.dumps(connection)  # references only

    definition = emulator.boto3_client("ecs").describe_task_definition(taskDefinition="demo-local-api")
    secrets = {s["name"]: s["valueFrom"] for s in definition["taskDefinition"]["containerDefinitions"][0]["secrets"]}
    arns = {s["Name"]: s["ARN"] for s in emulator.boto3_client("secretsmanager").list_secrets()["SecretList"]}
    assert secrets["DATABASE_HOST"] == f"{arns['local/demo/database-connection']}:host::"
    assert secrets["DATABASE_PORT"] == f"{arns['local/demo/database-connection']}:port::"
    assert secrets["DATABASE_NAME"] == f"{arns['local/demo/database-connection']}:dbname::"
    assert secrets["DATABASE_MASTER_SECRET_ARN"] == f"{arns['local/demo/database-connection']}:master_secret_arn::"
    assert secrets["REDIS_HOST"] == f"{arns['local/demo/cache-connection']}:host::"
    assert secrets["REDIS_AUTH_TOKEN_SECRET_ARN"] == f"{arns['local/demo/cache-connection']}:auth_token_secret_arn::"
    policy = emulator.boto3_client("iam").get_role_policy(
        RoleName="demo-local-ecs-execution-us-east-1", PolicyName="read-service-secrets"
    )["PolicyDocument"]
    readable = policy["Statement"][0]["Resource"]
    assert arns["local/demo/database-connection"] in readable and arns["local/demo/cache-connection"] in readable

    emulator.clear_calls()
    again = playbook("site.yml", limit=HOST, extra_vars=ONE_REGION)
    assert again.rc == 0, again.messages()
    assert again.changed() == 0
    assert emulator.writes() == []


@pytest.mark.slow
def test_eks_workloads_get_the_connection_secrets_from_one_site_run(emulator, playbook):
    from test_cluster_eks import kube

    run = playbook("site.yml", inventory="inventories/dev")
    assert run.rc == 0, run.messages()
    arns = {s["Name"]: s["ARN"] for s in emulator.boto3_client("secretsmanager").list_secrets()["SecretList"]}
    deployment = kube(emulator).call("GET", "/apis/apps/v1/namespaces/money-tracking-dev/deployments/bank-service")
    env = {e["name"]: e.get("value") for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["DATABASE_CONNECTION_SECRET_ARN"] == arns["dev/money-tracking/database-connection"]
    assert env["CACHE_CONNECTION_SECRET_ARN"] == arns["dev/money-tracking/cache-connection"]
    assert secret_json(emulator, "dev/money-tracking/database-connection")["host"].startswith("moneytrack-dev-db.")
    role = "moneytrack-dev-us-east-1-irsa-bank-service"
    policy = emulator.boto3_client("iam").get_role_policy(RoleName=role, PolicyName="read-connections")
    assert policy["PolicyDocument"]["Statement"][0]["Action"] == "secretsmanager:GetSecretValue"
    emulator.clear_calls()
    again = playbook("site.yml", inventory="inventories/dev")
    assert again.rc == 0, again.messages()
    assert again.changed() == 0 and emulator.writes() == []
