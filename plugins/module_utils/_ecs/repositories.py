# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The cluster's ECR repositories: scan on push, tag mutability, the lifecycle policy, tags."""

from __future__ import annotations

import json

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ..platform import create_once
from ..platform import not_found
from ..platform import sync_tags
from .spec import lifecycle_policy


class Repositories:
    def __init__(self, owner):
        self.o = owner

    def converge(self):
        o = self.o
        ecr = o.c["ecr"]
        policy = lifecycle_policy(o.p.get("ecr_keep_images") or 30, o.p.get("ecr_untagged_days") or 7)
        mutability = o.p.get("ecr_image_tag_mutability") or "MUTABLE"
        scan = bool(o.p.get("ecr_scan_on_push", True))
        for short in o.p.get("ecr_repositories") or []:
            name = o.names.repository(short)
            repo = o.repos.get(name)
            tags = o.tags(name)
            if repo is None:
                o.repo_uris[short] = f"{o.registry}/{name}"
                if o.changes.add(
                    f"create ECR repository {name} (scan on push {'on' if scan else 'off'}, {mutability})"
                ):
                    repo = create_once(
                        lambda name=name, tags=tags: ecr.create_repository(
                            repositoryName=name,
                            imageTagMutability=mutability,
                            imageScanningConfiguration={"scanOnPush": scan},
                            encryptionConfiguration={"encryptionType": "AES256"},
                            tags=ansible_dict_to_boto3_tag_list(tags),
                        ),
                        lambda name=name: not_found(
                            lambda: {
                                "repository": ecr.describe_repositories(repositoryNames=[name])["repositories"][0]
                            },
                            "RepositoryNotFoundException",
                        ),
                        f"ECR repository {name}",
                        o.warnings,
                    )["repository"]
                    o.repo_uris[short] = repo["repositoryUri"]
                    ecr.put_lifecycle_policy(
                        repositoryName=name, lifecyclePolicyText=json.dumps(policy), aws_retry=True
                    )
                else:
                    o.changes.add(f"set the lifecycle policy of ECR repository {name}")
                continue
            o.repo_uris[short] = repo["repositoryUri"]
            if repo.get("imageTagMutability") != mutability and o.changes.add(
                f"ECR repository {name}: tags {mutability}"
            ):
                ecr.put_image_tag_mutability(repositoryName=name, imageTagMutability=mutability, aws_retry=True)
            if (repo.get("imageScanningConfiguration") or {}).get("scanOnPush") != scan and o.changes.add(
                f"ECR repository {name}: scan on push {'on' if scan else 'off'}"
            ):
                ecr.put_image_scanning_configuration(
                    repositoryName=name, imageScanningConfiguration={"scanOnPush": scan}, aws_retry=True
                )
            if repo.get("lifecycle") != policy and o.changes.add(f"set the lifecycle policy of ECR repository {name}"):
                ecr.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=json.dumps(policy), aws_retry=True)
            sync_tags(
                o.changes,
                ecr,
                "ecr",
                repo["repositoryArn"],
                f"ECR repository {name}",
                repo.get("tagMap"),
                tags,
                o.purge_tags,
            )
