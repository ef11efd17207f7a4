"""Command name -> recogniser. One place, so ``python -m X`` and ``npx X`` find the same rule."""

from __future__ import annotations

from collections.abc import Callable

from scanner.guard.commands.context import Ctx
from scanner.guard.commands.shell import SimpleCommand

Recogniser = Callable[[str, list[str], SimpleCommand, Ctx], None]


def _lazy(module: str, attr: str) -> Recogniser:
    def call(name: str, args: list[str], cmd: SimpleCommand, ctx: Ctx) -> None:
        import importlib

        getattr(importlib.import_module(f"scanner.guard.commands.{module}"), attr)(name, args, cmd, ctx)

    return call


def _package(name: str, args: list[str], cmd: SimpleCommand, ctx: Ctx) -> None:
    from scanner.guard.commands.scripts import run_package_script

    run_package_script(name, args, cmd, ctx)


def _make(name: str, args: list[str], cmd: SimpleCommand, ctx: Ctx) -> None:
    from scanner.guard.commands.scripts import run_make

    run_make(args, cmd, ctx)


def _rails(name: str, args: list[str], cmd: SimpleCommand, ctx: Ctx) -> None:
    from scanner.guard.commands.orm import rails

    rails(name, args, cmd, ctx)


RECOGNISERS: dict[str, Recogniser] = {
    "railway": _lazy("railway", "recognise"),
    "curl": _lazy("http", "recognise"), "wget": _lazy("http", "recognise"), "http": _lazy("http", "recognise"),
    "https": _lazy("http", "recognise"), "xh": _lazy("http", "recognise"), "xhs": _lazy("http", "recognise"),
    "aws": _lazy("cloud", "aws"), "gcloud": _lazy("cloud", "gcloud"), "gsutil": _lazy("cloud", "gcloud"),
    "az": _lazy("cloud", "az"),
    "git": _lazy("vcs", "git"), "gh": _lazy("vcs", "gh"),
    "kubectl": _lazy("k8s", "kubectl"), "oc": _lazy("k8s", "kubectl"), "helm": _lazy("k8s", "helm"),
    "terraform": _lazy("iac", "terraform"), "tofu": _lazy("iac", "terraform"), "pulumi": _lazy("iac", "pulumi"),
    "prisma": _lazy("orm", "prisma"), "drizzle-kit": _lazy("orm", "drizzle"), "alembic": _lazy("orm", "alembic"),
    "rails": _rails, "rake": _rails, "sequelize": _lazy("orm", "node_migrators"),
    "sequelize-cli": _lazy("orm", "node_migrators"), "knex": _lazy("orm", "node_migrators"),
    "typeorm": _lazy("orm", "node_migrators"), "mikro-orm": _lazy("orm", "node_migrators"),
    "rm": _lazy("local", "rm"), "rmdir": _lazy("local", "rm"), "shred": _lazy("local", "rm"),
    "srm": _lazy("local", "rm"), "find": _lazy("local", "find"),
    "dd": _lazy("local", "disk"), "mkfs": _lazy("local", "disk"), "wipefs": _lazy("local", "disk"),
    "docker": _lazy("local", "docker"), "podman": _lazy("local", "docker"),
    "docker-compose": _lazy("local", "docker"), "podman-compose": _lazy("local", "docker"),
    "npm": _package, "yarn": _package, "pnpm": _package, "bun": _package, "make": _make, "gmake": _make,
}
for _name in ("psql", "pg_restore", "dropdb", "mysql", "mariadb", "sqlite3", "mongosh", "mongo", "redis-cli",
              "cockroach", "pgcli", "mycli", "clickhouse-client", "duckdb", "usql"):
    RECOGNISERS[_name] = _lazy("sql", "recognise")
for _name in ("fly", "flyctl", "vercel", "heroku", "supabase", "stripe", "netlify", "neonctl", "neon", "doctl",
              "render"):
    RECOGNISERS[_name] = _lazy("platforms", "recognise")


def recogniser_for(name: str, args: list[str]) -> Recogniser | None:
    if name.startswith("mkfs."):
        return RECOGNISERS["mkfs"]
    return RECOGNISERS.get(name)
