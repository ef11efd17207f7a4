"""Terraform/OpenTofu and Pulumi: destroy is obvious; the environment comes from the workspace,
``-var``/``-var-file`` names, ``TF_WORKSPACE``, ``.terraform/environment`` or ``--stack``.

``terraform apply`` can destroy whatever the plan drops: it is a write that is asked about on
production, and ``apply -destroy``/``destroy``/``state rm``/``workspace delete`` are deletes.
"""

from __future__ import annotations

import os

from scanner.guard.commands import common
from scanner.guard.commands.context import Ctx
from scanner.guard.commands.model import DELETE, READ, WRITE, Operation
from scanner.guard.commands.shell import SimpleCommand


def terraform(name: str, args: list[str], cmd: SimpleCommand, ctx: Ctx) -> None:
    chdir = next((a.split("=", 1)[1] for a in args if a.startswith("-chdir=")), None)
    pos = [a for a in args if not a.startswith("-")]
    if not pos:
        return
    verb = pos[0]
    if verb == "destroy" or (verb == "apply" and "-destroy" in args):
        action = DELETE
    elif verb == "state" and len(pos) > 1 and pos[1] in ("rm", "mv", "push", "replace-provider"):
        action = DELETE if pos[1] in ("rm", "push") else WRITE
    elif verb == "workspace" and len(pos) > 1 and pos[1] == "delete":
        action = DELETE
    elif verb in ("apply", "import", "taint", "untaint", "refresh", "force-unlock"):
        action = WRITE
    else:
        action = READ
    names = [a.split("=", 1)[1] for a in args if a.startswith(("-var-file=", "-var="))]
    names.append(ctx.env.get("TF_WORKSPACE", ""))
    base = ctx.resolve_path(chdir) if chdir else ctx.cwd
    env_file = ctx.read_text(os.path.join(base, ".terraform", "environment"))
    if env_file:
        names.append(env_file.strip())
    names.append(os.path.basename(base))
    if verb == "workspace" and len(pos) > 2:
        names.append(pos[2])
    hints = common.env_hints([n for n in names if n])
    ctx.add(Operation("terraform", f"terraform {' '.join(pos[:2])}", action, "stack", (), hints,
                      tuple(ctx.literal_refs(args)) or tuple(ctx.injected), summary=f"`{name} {' '.join(pos[:2])}`"))


def pulumi(name: str, args: list[str], cmd: SimpleCommand, ctx: Ctx) -> None:
    pos = common.positionals(args, {"-s", "--stack", "-C", "--cwd", "-c", "--config"})
    if not pos:
        return
    verb = pos[0]
    if verb == "destroy" or (verb == "stack" and len(pos) > 1 and pos[1] == "rm") or (
            verb == "state" and len(pos) > 1 and pos[1] == "delete"):
        action = DELETE
    elif verb in ("up", "update", "refresh", "import", "cancel") or verb == "config" and "set" in pos[1:2]:
        action = WRITE
    else:
        action = READ
    stack = common.option(args, "-s", "--stack") or ctx.env.get("PULUMI_STACK")
    creds = ctx.literal_refs(args) or [r for r in (ctx.env_ref("PULUMI_ACCESS_TOKEN", provider="pulumi"),) if r]
    ctx.add(Operation("pulumi", f"pulumi {' '.join(pos[:2])}", action, "stack", (stack,) if stack else (),
                      common.env_hints([stack] if stack else []), tuple(creds),
                      summary=f"`pulumi {' '.join(pos[:2])}`"))
