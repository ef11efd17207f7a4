"""kubectl, oc and helm: verbs to actions; the context decides which cluster, and so the class.

Context as kubectl resolves it: ``--context`` > ``current-context`` of ``$KUBECONFIG`` (first file)
or ``~/.kube/config``, read at hook time with a line scan (no YAML library on the hook path).
Namespace names hint the environment too (``-n prod``).
"""

from __future__ import annotations

import os
import re

from scanner.guard.commands import common
from scanner.guard.commands.context import Ctx
from scanner.guard.commands.model import ADMIN, DELETE, READ, WRITE, Operation
from scanner.guard.commands.shell import SimpleCommand

KUBECTL_READ = {"get", "describe", "logs", "top", "explain", "api-resources", "api-versions", "version",
                "cluster-info", "config", "diff", "auth", "events", "wait", "completion", "plugin"}
KUBECTL_DELETE = {"delete", "drain"}
KUBECTL_ADMIN = {"certificate", "taint"}


def current_context(ctx: Ctx) -> str | None:
    path = (ctx.env.get("KUBECONFIG") or "").split(os.pathsep)[0] or os.path.join(ctx.home, ".kube", "config")
    text = ctx.read_text(path)
    if not text:
        return None
    match = re.search(r"(?m)^current-context:\s*['\"]?([^'\"\n]+)", text)
    return match.group(1).strip() if match else None


def kubectl(name: str, args: list[str], cmd: SimpleCommand, ctx: Ctx) -> None:
    value_opts = {"-n", "--namespace", "--context", "--cluster", "--kubeconfig", "-o", "--output", "-l",
                  "--selector", "-f", "--filename", "--user", "-c", "--container"}
    pos = common.positionals(args, value_opts)
    if not pos:
        return
    verb = pos[0]
    if verb in KUBECTL_READ:
        action = READ
        if verb == "config" and len(pos) > 1 and pos[1] in ("use-context", "set-context", "set-credentials"):
            action = WRITE
    elif verb in KUBECTL_DELETE:
        action = DELETE
    elif verb in ("create", "apply") and len(pos) > 1 and pos[1] in ("clusterrolebinding", "rolebinding", "role",
                                                                     "clusterrole", "serviceaccount", "token") \
            or verb in KUBECTL_ADMIN:
        action = ADMIN
    elif verb == "scale" and any(a.endswith("=0") for a in args if a.startswith("--replicas")) or \
            verb == "replace" and common.has(args, "--force"):
        action = DELETE
    else:
        action = WRITE
    context = common.option(args, "--context") or current_context(ctx)
    namespace = common.option(args, "-n", "--namespace")
    hints = common.env_hints([v for v in (context, namespace) if v])
    creds = ctx.literal_refs(args) or [ctx.store_ref("kubernetes", (".kube/config",),
                                                     f"kube context `{context or 'current'}`", store="kubeconfig",
                                                     profile=None)]
    targets = tuple(pos[1:3]) if action != READ else ()
    ctx.add(Operation("kubernetes", f"{name} {verb}", action, "cluster", targets, hints, tuple(creds),
                      summary=f"`{name} {' '.join(pos[:3])}` (context `{context or 'unknown'}`)"))


def helm(name: str, args: list[str], cmd: SimpleCommand, ctx: Ctx) -> None:
    pos = common.positionals(args, {"-n", "--namespace", "--kube-context", "-f", "--values", "--set", "--version"})
    if not pos:
        return
    verb = pos[0]
    action = DELETE if verb in ("uninstall", "delete", "del", "un") else READ if verb in (
        "list", "ls", "status", "get", "history", "show", "search", "template", "lint", "version", "repo",
        "env", "dependency") else WRITE
    context = common.option(args, "--kube-context") or current_context(ctx)
    namespace = common.option(args, "-n", "--namespace")
    hints = common.env_hints([v for v in (context, namespace, *(pos[1:2])) if v])
    creds = ctx.literal_refs(args) or [ctx.store_ref("kubernetes", (".kube/config",),
                                                     f"kube context `{context or 'current'}`", store="kubeconfig")]
    ctx.add(Operation("kubernetes", f"helm {verb}", action, "release", tuple(pos[1:2]), hints, tuple(creds),
                      summary=f"`helm {' '.join(pos[:2])}` (context `{context or 'unknown'}`)"))
