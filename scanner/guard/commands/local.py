"""Local destroyers: ``rm -rf`` on data, ``docker volume rm``, ``find -delete``, ``dd``/``mkfs``.

No credential decides these, so the class comes from the path or name: a database data directory
(``/var/lib/postgresql``, ``/var/lib/mysql``, ``/var/lib/docker/volumes``, a ``/data`` mount), the
home or root directory, or ``.git`` is production (blocked); anything else outside the workspace is
unknown (asked); inside the workspace it is development (monitored). Docker volumes and compose
``down -v`` take the class of their names (``pg-prod`` production, ``test-db`` development),
unknown otherwise.
"""

from __future__ import annotations

import os

from scanner.guard import envclass
from scanner.guard.commands import common
from scanner.guard.commands.context import Ctx
from scanner.guard.commands.model import DELETE, WRITE, Operation
from scanner.guard.commands.shell import SimpleCommand

DATA_DIRS = ("/var/lib/postgresql", "/var/lib/mysql", "/var/lib/mongodb", "/var/lib/redis", "/var/lib/docker",
             "/var/lib/containerd", "/data", "/mnt", "/srv", "/var/lib/pgsql", "/var/opt/mssql", "/opt/data",
             "/var/lib/clickhouse", "/var/lib/elasticsearch", "/backups", "/backup", "/var/backups")
SYSTEM_DIRS = ("/", "/etc", "/usr", "/bin", "/sbin", "/lib", "/boot", "/var", "/home", "/root", "/opt")


def path_class(path: str, ctx: Ctx) -> tuple[str, str]:
    """(class, why) for a path a destructive command acts on."""
    if "$" in path:
        value = None
        from scanner.guard.commands.shell import expand

        value = expand(path, ctx.env)
        if value is None or value.strip() in ("", "/"):
            return envclass.PRODUCTION, "a path built from a variable the guard cannot resolve"
        path = value
    absolute = ctx.resolve_path(path.rstrip("*") or "/")
    real = absolute.rstrip("/") or "/"
    home = ctx.home.rstrip("/")
    if real in SYSTEM_DIRS or real == home or path.strip() in ("~", "~/", "/*", "*") and real in (home, "/"):
        return envclass.PRODUCTION, f"`{real}` (a system or home directory)"
    if any(real == d or real.startswith(d + "/") for d in DATA_DIRS):
        return envclass.PRODUCTION, f"`{real}` (a directory that holds data)"
    if os.path.basename(real) == ".git" or real.endswith("/.git"):
        return envclass.PRODUCTION, f"`{real}` (a git repository's history)"
    if ctx.workspace and (real == ctx.workspace or real.startswith(ctx.workspace.rstrip("/") + "/")):
        if real == ctx.workspace.rstrip("/"):
            return envclass.PRODUCTION, "the whole workspace"
        return envclass.DEVELOPMENT, f"`{os.path.relpath(real, ctx.workspace)}` inside the workspace"
    return envclass.UNKNOWN, f"`{real}` outside the workspace"


def rm(name: str, args: list[str], cmd: SimpleCommand, ctx: Ctx) -> None:
    recursive = common.has(args, "-r", "-R", "--recursive") or name in ("rmdir", "shred", "srm")
    paths = common.positionals(args)
    if not paths or (not recursive and name == "rm"):
        for path in paths[:8]:
            cls, why = path_class(path, ctx)
            if cls == envclass.PRODUCTION:
                ctx.add(Operation("local", f"{name} {path}", DELETE, "path", (path,), (cls,), local=True,
                                  summary=f"`{name}` of {why}"))
        return
    for path in paths[:16]:
        cls, why = path_class(path, ctx)
        ctx.add(Operation("local", f"{name} -r {path}", DELETE, "path", (path,), (cls,), local=True,
                          summary=f"`{name} -r` of {why}"))


def find(name: str, args: list[str], cmd: SimpleCommand, ctx: Ctx) -> None:
    if "-delete" not in args and not ({"-exec", "-execdir"} & set(args)):
        return
    roots = [a for a in args[:3] if not a.startswith("-")] or ["."]
    if "-exec" in args or "-execdir" in args:
        start = args.index("-exec") if "-exec" in args else args.index("-execdir")
        inner = [a for a in args[start + 1:] if a not in (";", "+", "\\;")]
        inner = [roots[0] if a == "{}" else a for a in inner]
        if inner:
            from scanner.guard.commands.run import judge_command

            judge_command(inner, SimpleCommand(inner), ctx)
        return
    for root in roots:
        cls, why = path_class(root, ctx)
        ctx.add(Operation("local", f"find {root} -delete", DELETE, "path", (root,), (cls,), local=True,
                          summary=f"`find -delete` under {why}"))


def disk(name: str, args: list[str], cmd: SimpleCommand, ctx: Ctx) -> None:
    if name == "dd":
        target = next((a.split("=", 1)[1] for a in args if a.startswith("of=")), None)
    else:
        target = next(iter(common.positionals(args)[-1:]), None)
    if not target:
        return
    if name == "dd" and not target.startswith("/dev/"):
        cls, why = path_class(target, ctx)
        if cls != envclass.PRODUCTION:
            return
    ctx.add(Operation("local", f"{name} {target}", DELETE, "device", (target,), (envclass.PRODUCTION,), local=True,
                      summary=f"`{name}` overwrites `{target}`"))


def docker(name: str, args: list[str], cmd: SimpleCommand, ctx: Ctx) -> None:
    pos = common.positionals(args, {"-f", "--file", "-p", "--project-name", "--context", "-H", "--host", "-e",
                                    "--env", "-v", "--volume", "-w", "--name", "--network"})
    if not pos:
        return
    if pos[0] == "compose" or name in ("docker-compose", "podman-compose"):
        rest = pos[1:] if pos[0] == "compose" else pos
        if rest[:1] == ["down"] and common.has(args, "-v", "--volumes"):
            project = common.option(args, "-p", "--project-name") or os.path.basename(ctx.cwd)
            cls = envclass.classify(project)
            ctx.add(Operation("local", "compose down -v", DELETE, "volume", (project,),
                              (cls,) if cls != envclass.UNKNOWN else (), local=True,
                              summary=f"`docker compose down -v` (removes the volumes of `{project}`)"))
        return
    if pos[0] in ("volume", "volumes") and len(pos) > 1 and pos[1] in ("rm", "remove", "prune"):
        names = pos[2:] or ["(all unused volumes)"]
        for volume in names[:8]:
            cls = envclass.classify(volume)
            ctx.add(Operation("local", f"docker volume {pos[1]}", DELETE, "volume", (volume,),
                              (cls,) if cls != envclass.UNKNOWN else (), local=True,
                              summary=f"`docker volume {pos[1]}` of `{volume}`"))
        return
    if pos[0] == "system" and pos[1:2] == ["prune"] and common.has(args, "--volumes"):
        ctx.add(Operation("local", "docker system prune --volumes", DELETE, "volume", ("(all unused volumes)",), (),
                          local=True, summary="`docker system prune --volumes`"))
        return
    if pos[0] in ("exec", "run") and len(pos) > 2:
        from scanner.guard.commands.run import judge_command

        inner = pos[2:]
        judge_command(inner, SimpleCommand(inner), ctx)
        return
    if pos[0] in ("rm",) and common.has(args, "-v", "--volumes"):
        ctx.add(Operation("local", "docker rm -v", WRITE, "container", tuple(pos[1:3]), (), local=True,
                          summary="`docker rm -v` (removes anonymous volumes)"))
