"""ORM and migration tools, whose destroyers rarely say "delete": a table of their commands.

``prisma migrate reset``, ``prisma db push --accept-data-loss``/``--force-reset``, ``drizzle-kit push
--force``/``drop``, ``alembic downgrade``, ``rails db:drop|reset|purge|schema:load``, ``artisan
migrate:fresh|reset|refresh|db:wipe``, Django ``flush``/``migrate APP zero``, ``sequelize
db:drop|db:migrate:undo:all``, ``typeorm schema:drop``, ``knex migrate:rollback --all``, Doctrine
``database:drop``/``fixtures:load`` without ``--append``.

Which database: these tools read ``DATABASE_URL`` from the environment, and most load ``.env``
themselves (Prisma, drizzle via dotenv, Laravel, Rails with dotenv, django-environ). An
``--env=X``/``RAILS_ENV``/``APP_ENV``/``NODE_ENV`` picks ``.env.X`` **if it exists** and otherwise
falls back to ``.env``: the trap where "staging" quietly resolves to the production URL.
"""

from __future__ import annotations

import os

from scanner.guard.commands import common
from scanner.guard.commands.context import Ctx
from scanner.guard.commands.model import DELETE, READ, WRITE, CredRef, Operation
from scanner.guard.commands.shell import SimpleCommand

RAILS_DELETE = {"db:drop", "db:reset", "db:purge", "db:schema:load", "db:structure:load", "db:migrate:reset",
                "db:drop:all", "db:test:purge", "db:truncate_all", "db:seed:replant", "db:prepare"}
RAILS_WRITE = {"db:migrate", "db:rollback", "db:seed", "db:setup", "db:create", "db:migrate:redo",
               "db:migrate:down", "db:migrate:up"}
ARTISAN_DELETE = {"migrate:fresh", "migrate:reset", "migrate:refresh", "db:wipe", "migrate:rollback"}
ARTISAN_WRITE = {"migrate", "db:seed", "migrate:install"}


def _env_file_credentials(ctx: Ctx, env_name: str | None) -> tuple[tuple[CredRef, ...], str | None]:
    """DATABASE_URL as the tool would load it, and the note when an env fallback happened."""
    if "DATABASE_URL" in ctx.env or "DATABASE_URL" in ctx.unset:
        ref = ctx.env_ref("DATABASE_URL")
        return ((ref,) if ref else ()), None
    note = None
    candidates = []
    if env_name:
        candidates.append(f".env.{env_name}")
        candidates.append(f".env.{env_name}.local")
    candidates += [".env.local", ".env"]
    for name in candidates:
        path = os.path.join(ctx.cwd, name)
        if not os.path.isfile(path):
            if env_name and name == f".env.{env_name}":
                note = f"no `{name}`: the tool falls back to `.env`"
            continue
        refs = ctx.file_refs(path)
        text = ctx.read_text(path)
        value = None
        for line in (text or "").splitlines():
            stripped = line.strip().removeprefix("export ").strip()
            if stripped.startswith("DATABASE_URL="):
                value = stripped.split("=", 1)[1].strip().strip("'\"")
        if value:
            fp = ctx.fingerprint(value)
            detail = f"DATABASE_URL in `{ctx._short(path)}`" + (f" ({note})" if note else "")
            return (CredRef("file", detail, (fp,) + tuple(f for r in refs for f in r.fingerprints if f != fp),
                            env_var="DATABASE_URL", path=path),), note
        if refs:
            return tuple(refs), note
    return (CredRef("unknown", "DATABASE_URL (not set where the guard can see)", (), env_var="DATABASE_URL"),), note


def _op(ctx: Ctx, tool: str, operation: str, action: str, env_name: str | None, extra_hints: list[str]) -> None:
    creds, note = _env_file_credentials(ctx, env_name)
    hints = common.env_hints([h for h in [env_name, *extra_hints] if h])
    summary = f"`{tool} {operation}`" + (f" ({note})" if note else "")
    ctx.add(Operation("database", operation, action, "database", (), hints, creds, summary=summary))


def _app_env(ctx: Ctx, args: list[str], *names: str) -> str | None:
    value = common.option(args, "--env", "-e", "--environment") if names else None
    if value:
        return value
    for var in names or ("RAILS_ENV", "APP_ENV", "NODE_ENV", "RACK_ENV", "DJANGO_ENV", "ENVIRONMENT"):
        if ctx.env.get(var):
            return ctx.env[var]
    return None


def prisma(name: str, args: list[str], cmd: SimpleCommand, ctx: Ctx) -> None:
    pos = common.positionals(args, {"--schema"})
    verb = " ".join(pos[:2])
    if verb == "migrate reset" or (verb == "db push" and common.has(args, "--accept-data-loss", "--force-reset")):
        action = DELETE
    elif verb == "db execute":
        path = common.option(args, "--file")
        text = ctx.read_text(path) if path else common.option(args, "--stdin") and cmd.stdin_text
        from scanner.guard.commands.sql import classify_sql

        statements = classify_sql(text) if isinstance(text, str) else [(WRITE, "db execute")]
        action = max((a for a, _ in statements), key=lambda a: {"read": 0, "write": 1}.get(a, 2), default=WRITE)
    elif pos[:1] in (["migrate"], ["db"]):
        action = READ if verb in ("migrate status", "migrate diff", "db pull") else WRITE
    else:
        return
    _op(ctx, "prisma", verb, action, _app_env(ctx, args, "NODE_ENV", "APP_ENV"), [])


def drizzle(name: str, args: list[str], cmd: SimpleCommand, ctx: Ctx) -> None:
    pos = common.positionals(args, {"--config"})
    if not pos:
        return
    verb = pos[0]
    if verb in ("drop",) or (verb.startswith("push") and common.has(args, "--force")):
        action = DELETE
    elif verb.startswith(("push", "migrate", "up")):
        action = WRITE
    else:
        action = READ
    _op(ctx, "drizzle-kit", verb + (" --force" if common.has(args, "--force") else ""), action,
        _app_env(ctx, args, "NODE_ENV", "APP_ENV"), [common.option(args, "--config") or ""])


def alembic(name: str, args: list[str], cmd: SimpleCommand, ctx: Ctx) -> None:
    pos = common.positionals(args, {"-c", "--config", "-n", "--name", "-x"})
    if not pos:
        return
    verb = pos[0]
    action = DELETE if verb == "downgrade" else WRITE if verb in ("upgrade", "stamp") else READ
    _op(ctx, "alembic", " ".join(pos[:2]), action, _app_env(ctx, args, "APP_ENV", "ENVIRONMENT"),
        common.options(args, "-x", "-n", "--name"))


def rails(name: str, args: list[str], cmd: SimpleCommand, ctx: Ctx) -> None:
    tasks = [a for a in args if a.startswith("db:")]
    for task in tasks:
        action = DELETE if task in RAILS_DELETE else WRITE if task in RAILS_WRITE else READ
        _op(ctx, name, task, action, _app_env(ctx, args, "RAILS_ENV", "RACK_ENV"), [])


def artisan(args: list[str], ctx: Ctx) -> None:
    if not args:
        return
    verb = args[0]
    if verb in ARTISAN_DELETE or verb.startswith("migrate:fresh"):
        action = DELETE
    elif verb in ARTISAN_WRITE or verb.startswith(("db:", "migrate")):
        action = WRITE
    else:
        return
    _op(ctx, "artisan", verb, action, _app_env(ctx, args, "APP_ENV"), [])


def django(args: list[str], ctx: Ctx) -> None:
    if not args:
        return
    verb = args[0]
    if verb in ("flush", "reset_db", "sqlflush") or (verb == "migrate" and "zero" in args):
        action = DELETE if verb != "sqlflush" else READ
    elif verb in ("migrate", "loaddata") or verb == "dbshell":
        action = WRITE
    else:
        return
    _op(ctx, "manage.py", " ".join(args[:3]), action, _app_env(ctx, args, "DJANGO_ENV", "DJANGO_SETTINGS_MODULE"),
        [common.option(args, "--settings") or "", common.option(args, "--database") or ""])


def node_migrators(name: str, args: list[str], cmd: SimpleCommand, ctx: Ctx) -> None:
    pos = common.positionals(args, {"--env", "--config", "-c", "-d", "--dataSource"})
    if not pos:
        return
    verb = pos[0]
    deletes = {"db:drop", "db:migrate:undo:all", "schema:drop", "db:seed:undo:all", "migration:revert",
               "migrate:rollback", "migrate:down", "migrate:reset", "drop", "reset"}
    if verb in deletes or verb in ("migrate:rollback", "db:migrate:undo", "migration:revert"):
        action = DELETE
    elif verb.startswith(("db:", "migrate", "migration", "schema:sync", "seed")):
        action = WRITE
    else:
        return
    _op(ctx, name, verb, action, _app_env(ctx, args, "NODE_ENV"), [])


def doctrine(args: list[str], ctx: Ctx) -> None:
    if not args:
        return
    verb = args[0]
    if verb in ("doctrine:database:drop", "doctrine:schema:drop") or (
            verb == "doctrine:fixtures:load" and not common.has(args, "--append")):
        action = DELETE
    elif verb.startswith("doctrine:"):
        action = WRITE
    else:
        return
    _op(ctx, "console", verb, action, _app_env(ctx, args, "APP_ENV"), [])
