"""Railway: the CLI and GraphQL mutations sent by anything (curl, httpie, scripts, MCP).

Operation table, not keywords: ``volumeInstanceBackupRestore`` overwrites live data,
``variableCollectionUpsert`` with ``replace: true`` deletes every variable not listed, and a
backup schedule or retention set to nothing deletes backups, though no name says "delete".
Sources: railwayapp/cli ``src/gql/schema.json``; docs.railway.com/integrations/api
(manage-volumes, manage-services, manage-variables). Unknown mutations count as writes at least,
deletes when their name says so.

Credentials, as the CLI loads them (railwayapp/cli ``src/config.rs``): ``RAILWAY_TOKEN`` (project
token) and ``RAILWAY_API_TOKEN`` (account/workspace token) override ``~/.railway/config.json``;
``railway run`` injects the linked environment's variables into the command it runs.
"""

from __future__ import annotations

from scanner.guard.commands import common
from scanner.guard.commands.context import Ctx
from scanner.guard.commands.model import ADMIN, DELETE, READ, WRITE, CredRef, Operation
from scanner.guard.commands.shell import SimpleCommand

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on the hook path
if TYPE_CHECKING:
    from typing import Any

HOSTS = ("backboard.railway.app", "backboard.railway.com")
ENV_VARS = ("RAILWAY_TOKEN", "RAILWAY_API_TOKEN")
STORE_PATHS = (".railway/config.json",)

MUTATIONS: dict[str, tuple[str, str | None, str | None]] = {
    # name: (action, target kind, argument naming the target)
    "volumeDelete": (DELETE, "volume", "volumeId"),
    "volumeInstanceBackupRestore": (DELETE, "volume", "volumeInstanceId"),
    "volumeInstanceBackupDelete": (DELETE, "volume", "volumeInstanceId"),
    "volumeInstanceBackupScheduleUpdate": (DELETE, "volume", "volumeInstanceId"),
    "volumeUpdate": (WRITE, "volume", "volumeId"),
    "volumeInstanceUpdate": (WRITE, "volume", "volumeId"),
    "serviceDelete": (DELETE, "service", "id"),
    "serviceInstanceDelete": (DELETE, "service", "serviceId"),
    "environmentDelete": (DELETE, "environment", "id"),
    "projectDelete": (DELETE, "project", "id"),
    "projectScheduleDelete": (DELETE, "project", "id"),
    "deploymentRemove": (DELETE, "service", "id"),
    "deploymentStop": (WRITE, "service", "id"),
    "customDomainDelete": (DELETE, "service", "id"),
    "serviceDomainDelete": (DELETE, "service", "id"),
    "tcpProxyDelete": (DELETE, "service", "id"),
    "variableDelete": (DELETE, "environment", "environmentId"),
    "variableCollectionUpsert": (WRITE, "environment", "environmentId"),
    "variableUpsert": (WRITE, "environment", "environmentId"),
    "serviceInstanceDeploy": (WRITE, "service", "serviceId"),
    "serviceInstanceRedeploy": (WRITE, "service", "serviceId"),
    "serviceInstanceUpdate": (WRITE, "service", "serviceId"),
    "serviceCreate": (WRITE, "project", "projectId"),
    "environmentCreate": (WRITE, "project", "projectId"),
    "projectUpdate": (WRITE, "project", "id"),
    "projectTransfer": (ADMIN, "project", "projectId"),
    "projectMemberRemove": (ADMIN, "project", "projectId"),
    "projectMemberUpdate": (ADMIN, "project", "projectId"),
    "projectInvitationCreate": (ADMIN, "project", "projectId"),
    "projectTokenCreate": (ADMIN, "project", "projectId"),
    "apiTokenCreate": (ADMIN, "workspace", None),
    "workspacePermissionChange": (ADMIN, "workspace", "workspaceId"),
    "teamPermissionChange": (ADMIN, "workspace", "teamId"),
    "workspaceDelete": (DELETE, "workspace", "id"),
    "usageLimitSet": (ADMIN, "workspace", "workspaceId"),
}


def classify_mutation(name: str, args: dict[str, Any]) -> tuple[str, str | None, list[str]]:
    """Action, target kind and target ids/names of one root mutation field."""
    action, kind, arg = MUTATIONS.get(name, (common.verb_action([name], WRITE), None, None))
    if action == READ:
        action = WRITE  # a mutation is never a read
    raw_input = args.get("input")
    inputs: dict[str, Any] = raw_input if isinstance(raw_input, dict) else {}
    if name == "variableCollectionUpsert" and (inputs.get("replace") is True or args.get("replace") is True):
        action = DELETE  # replace: true removes every variable not in the collection
    if name in ("volumeInstanceBackupScheduleUpdate",) and not (inputs.get("kinds") or args.get("kinds")):
        action = DELETE
    targets: list[str] = []
    for source in (args, inputs):
        for key in ([arg] if arg else []) + ["id", "volumeId", "serviceId", "environmentId", "projectId",
                                             "volumeInstanceId", "name"]:
            value = source.get(key)
            if isinstance(value, str) and value not in targets:
                targets.append(value)
    hints = [v for k, v in {**args, **inputs}.items() if k in ("environmentId", "environmentName") and
             isinstance(v, str)]
    return action, kind, targets + hints


def credentials(ctx: Ctx, words: list[str], *, explicit: list[CredRef] | None = None) -> tuple[CredRef, ...]:
    named = explicit if explicit is not None else ctx.literal_refs(words)
    if named:
        return tuple(named)
    env = [ctx.env_ref(v, provider="railway") for v in ENV_VARS]
    env_refs = [r for r in env if r is not None]
    if env_refs:
        return tuple(env_refs)
    return (ctx.store_ref("railway", STORE_PATHS, "the Railway CLI login in `~/.railway/config.json`",
                          store="railway-config"),)


# --- the CLI --------------------------------------------------------------------------------------

_READ_CMDS = {"status", "whoami", "logs", "list", "open", "docs", "help", "version", "login", "logout", "link",
              "unlink", "init", "completion", "shell", "connect"}


def recognise(name: str, args: list[str], cmd: SimpleCommand, ctx: Ctx) -> None:
    values = {"-e", "--environment", "-s", "--service", "-v", "--volume", "-p", "--project"}
    pos = common.positionals(args, values)
    if not pos:
        return
    sub = pos[0]
    env_name = common.option(args, "-e", "--environment")
    hints = common.env_hints([env_name]) if env_name else ()
    creds = credentials(ctx, args)
    if sub == "run":
        inner_start = args.index("run") + 1
        inner = [a for a in args[inner_start:]]
        while inner and inner[0].startswith("-"):
            inner = inner[2:] if inner[0] in values else inner[1:]
        if inner and inner[0] == "--":
            inner = inner[1:]
        from scanner.guard.commands.run import judge_command

        sub_ctx = ctx.child()
        sub_ctx.depth -= 1
        injected = CredRef("injected", "variables `railway run` injects from the linked environment"
                           + (f" `{env_name}`" if env_name else ""), (), provider="railway")
        sub_ctx.injected.append(injected)
        for var in ("DATABASE_URL", "PGPASSWORD", "REDIS_URL", "MONGO_URL"):
            sub_ctx.env.setdefault(var, f"$__railway_injected_{var}__")
        sub_ctx.task_hint.extend(hints)
        if inner:
            judge_command(inner, cmd, sub_ctx)
        ctx.add(Operation("railway", "railway run", READ, "environment", (env_name,) if env_name else (),
                          hints, creds, summary="`railway run` (injects the environment's variables)"))
        return
    action = READ
    operation = f"railway {sub}"
    kind: str | None = None
    targets: list[str] = []
    rest = pos[1:]
    if sub in ("volume", "volumes"):
        verb = rest[0] if rest else "list"
        kind = "volume"
        action = common.verb_action([verb], WRITE)
        operation = "volumeDelete" if action == DELETE else f"railway volume {verb}"
        target = common.option(args, "-v", "--volume")
        targets = [target] if target else rest[1:2]
    elif sub in ("environment", "env"):
        verb = rest[0] if rest else "link"
        kind = "environment"
        action = common.verb_action([verb], READ if verb in ("link",) else WRITE)
        operation = "environmentDelete" if action == DELETE else f"railway environment {verb}"
        targets = rest[1:2] or ([env_name] if env_name else [])
    elif sub in ("service",):
        verb = rest[0] if rest else "link"
        kind = "service"
        action = common.verb_action([verb], READ if verb == "link" else WRITE)
        operation = "serviceDelete" if action == DELETE else f"railway service {verb}"
        target = common.option(args, "-s", "--service")
        targets = [target] if target else rest[1:2]
    elif sub == "delete":
        kind, action, operation = "project", DELETE, "projectDelete"
        target = common.option(args, "-p", "--project")
        targets = [target] if target else []
    elif sub == "down":
        kind, action, operation = "service", DELETE, "deploymentRemove"
        target = common.option(args, "-s", "--service")
        targets = [target] if target else []
    elif sub in ("variables", "variable", "vars"):
        kind = "environment"
        verb = rest[0] if rest else ""
        if common.has(args, "--set") or verb == "set":
            action, operation = WRITE, "variableUpsert"
        elif verb in ("delete", "remove", "rm") or common.has(args, "--remove"):
            action, operation = DELETE, "variableDelete"
        else:
            action, operation = READ, "railway variables"
            # printing variables puts their secrets in the agent's context
        targets = [env_name] if env_name else []
    elif sub in ("up", "deploy", "redeploy", "restart", "scale", "domain", "add"):
        kind, action = "service", WRITE
        operation = {"up": "serviceInstanceDeploy", "redeploy": "serviceInstanceRedeploy"}.get(sub, operation)
        target = common.option(args, "-s", "--service")
        targets = [target] if target else []
    elif sub in _READ_CMDS:
        action = READ
    else:
        action = common.verb_action([sub], WRITE)
    if env_name and kind != "environment":
        hints = (*hints, env_name)
    ctx.add(Operation("railway", operation, action, kind, tuple(t for t in targets if t), tuple(dict.fromkeys(hints)),
                      creds, summary=f"`railway {' '.join(pos[:2])}`"))
