"""AWS, Google Cloud and Azure CLIs: verbs to actions, plus the destroyers without a destroy verb.

AWS operation table (``aws SERVICE OPERATION``): ``s3 mv`` removes its source, ``s3 sync --delete``
deletes what the source lacks, ``put-bucket-lifecycle-configuration`` can expire every object,
``modify-db-instance --backup-retention-period 0`` deletes automated backups,
``restore-*``/``put-*-policy`` over live resources; otherwise delete-/remove-/terminate- -> delete,
IAM and policy changes -> admin, describe-/list-/get- -> read, the rest -> write.
Credentials as the AWS CLI resolves them: ``--profile`` > ``AWS_ACCESS_KEY_ID`` > ``AWS_PROFILE`` >
``[default]`` in ``~/.aws/credentials``.
"""

from __future__ import annotations

import re

from scanner.guard.commands import common
from scanner.guard.commands.context import Ctx
from scanner.guard.commands.model import ADMIN, DELETE, READ, WRITE, CredRef, Operation
from scanner.guard.commands.shell import SimpleCommand

AWS_VALUE_OPTS = {"--profile", "--region", "--output", "--query", "--endpoint-url", "--color", "--ca-bundle",
                  "--cli-read-timeout", "--cli-connect-timeout"}
AWS_SPECIAL = {
    ("s3", "mv"): DELETE, ("s3", "rm"): DELETE, ("s3", "rb"): DELETE, ("s3", "cp"): WRITE, ("s3", "sync"): WRITE,
    ("s3", "ls"): READ, ("s3", "presign"): READ,
    ("s3api", "put-bucket-lifecycle-configuration"): DELETE, ("s3api", "put-bucket-lifecycle"): DELETE,
    ("s3api", "put-bucket-policy"): ADMIN, ("s3api", "put-bucket-acl"): ADMIN,
    ("s3api", "put-public-access-block"): ADMIN, ("s3api", "delete-public-access-block"): ADMIN,
    ("rds", "restore-db-instance-from-db-snapshot"): WRITE, ("rds", "promote-read-replica"): WRITE,
    ("dynamodb", "restore-table-from-backup"): WRITE, ("logs", "put-retention-policy"): DELETE,
    ("backup", "update-backup-plan"): DELETE, ("ecr", "put-lifecycle-policy"): DELETE,
    ("secretsmanager", "get-secret-value"): READ, ("ssm", "get-parameter"): READ,
    ("sts", "assume-role"): ADMIN, ("kms", "schedule-key-deletion"): DELETE, ("kms", "disable-key"): DELETE,
}


def aws(name: str, args: list[str], cmd: SimpleCommand, ctx: Ctx) -> None:
    pos = common.positionals(args, AWS_VALUE_OPTS | {"--bucket", "--key", "--db-instance-identifier",
                                                     "--table-name", "--function-name", "--stack-name",
                                                     "--cluster", "--instance-ids", "--backup-retention-period"})
    if len(pos) < 2:
        return
    service, op = pos[0], pos[1]
    action = AWS_SPECIAL.get((service, op))
    if action is None:
        if re.match(r"(delete|remove|terminate|deregister|purge|destroy|disable|cancel|revoke|detach-volume)", op):
            action = DELETE
        elif service in ("iam", "organizations", "sso-admin", "identitystore") and not re.match(
                r"(get|list|describe|generate|simulate)", op) or re.match(
                r"(put|attach|create|add)-.*(policy|permission|role|grant)", op) or "access-key" in op:
            action = ADMIN
        elif re.match(r"(describe|list|get|head|batch-get|scan|query|lookup|search|select|wait|help|estimate)", op):
            action = READ
        else:
            action = WRITE
    if service == "s3" and op == "sync" and common.has(args, "--delete"):
        action = DELETE
    if op == "modify-db-instance" and common.option(args, "--backup-retention-period") == "0":
        action = DELETE
    if op in ("modify-db-instance", "modify-db-cluster") and common.has(args, "--no-deletion-protection"):
        action = ADMIN
    targets = [v for v in (common.option(args, "--bucket"), common.option(args, "--db-instance-identifier"),
                           common.option(args, "--table-name"), common.option(args, "--function-name"),
                           common.option(args, "--stack-name"), common.option(args, "--cluster"),
                           common.option(args, "--db-cluster-identifier")) if v]
    targets += [re.sub(r"^s3://([^/]+).*", r"\1", p) for p in pos[2:] if p.startswith("s3://")]
    profile = common.option(args, "--profile")
    hints = common.env_hints([t for t in [profile, *targets] if t])
    ctx.add(Operation("aws", f"{service} {op}", action, None, tuple(targets), hints,
                      aws_credentials(ctx, args, profile), summary=f"`aws {service} {op}`"))


def aws_credentials(ctx: Ctx, args: list[str], profile: str | None) -> tuple[CredRef, ...]:
    named = ctx.literal_refs(args)
    if named:
        return tuple(named)
    if profile is None:
        key = ctx.env_ref("AWS_ACCESS_KEY_ID", provider="aws")
        if key is not None:
            return (key,)
        profile = ctx.env.get("AWS_PROFILE") or ctx.env.get("AWS_DEFAULT_PROFILE")
    chosen = profile or "default"
    return (ctx.store_ref("aws", (), f"`~/.aws/credentials` profile `{chosen}`", store="aws-credentials",
                          profile=chosen),)


def gcloud(name: str, args: list[str], cmd: SimpleCommand, ctx: Ctx) -> None:
    pos = common.positionals(args, {"--project", "--account", "--configuration", "--zone", "--region",
                                    "--format", "--impersonate-service-account"})
    if not pos:
        return
    if name == "gsutil":
        verb = pos[0]
        action = DELETE if verb in ("rm", "rb") or (verb == "rsync" and common.has(args, "-d")) or verb == "mv" \
            else READ if verb in ("ls", "cat", "du", "stat") else WRITE
        action = ADMIN if verb in ("iam", "acl") and "set" in pos[1:2] else action
        operation = f"gsutil {verb}"
        targets = [p.split("/")[2] for p in pos if p.startswith("gs://") and len(p.split("/")) > 2]
    else:
        action = common.verb_action(pos[-3:] if len(pos) > 1 else pos, WRITE)
        if any("iam-policy" in p or p in ("iam", "add-iam-policy-binding") for p in pos):
            action = ADMIN if action != READ else READ
        if pos[:2] == ["storage", "mv"]:
            action = DELETE
        operation = "gcloud " + " ".join(pos[:3])
        targets = pos[3:4] if len(pos) > 3 else []
    project = common.option(args, "--project")
    creds = ctx.literal_refs(args) or [r for r in (ctx.env_ref("GOOGLE_APPLICATION_CREDENTIALS", provider="gcp"),
                                                   ctx.env_ref("CLOUDSDK_AUTH_ACCESS_TOKEN", provider="gcp")) if r]
    if not creds:
        creds = [ctx.store_ref("gcp", (".config/gcloud/application_default_credentials.json",),
                               "the gcloud login in `~/.config/gcloud`", store="gcloud")]
    ctx.add(Operation("gcp", operation, action, None, tuple(targets), common.env_hints([project] if project else []),
                      tuple(creds), summary=f"`{operation}`"))


def az(name: str, args: list[str], cmd: SimpleCommand, ctx: Ctx) -> None:
    pos = common.positionals(args, {"--subscription", "-g", "--resource-group", "-n", "--name", "--output", "-o",
                                    "--query"})
    if not pos:
        return
    action = common.verb_action(pos[-2:], WRITE)
    if pos[:2] in (["role", "assignment"], ["ad", "sp"]) and action != READ:
        action = ADMIN
    group = common.option(args, "-g", "--resource-group")
    target = common.option(args, "-n", "--name")
    hints = common.env_hints([v for v in (group, target, common.option(args, "--subscription")) if v])
    creds = ctx.literal_refs(args) or [ctx.store_ref("azure", (".azure/msal_token_cache.json",),
                                                     "the Azure CLI login in `~/.azure`", store="azure-msal-cache")]
    ctx.add(Operation("azure", "az " + " ".join(pos[:3]), action, None, tuple(v for v in (target, group) if v),
                      hints, tuple(creds), summary="`az " + " ".join(pos[:3]) + "`"))
