"""Code the command runs: one-liners (``python -c``, ``node -e``), local scripts, npm scripts, make.

A small file in the workspace is read (bounded, no link out) and judged like the command line:
shell scripts are parsed as shell, ``package.json`` scripts and Makefile recipes are shell, and
Python/JavaScript/Ruby code is searched for what makes it dangerous: HTTP calls with a GraphQL
mutation or a DELETE, SQL strings, ORM destroyers (``deleteMany({})``, ``drop_all``,
``sequelize.sync({force: true})``), filesystem removal, and which credential variables it reads
(``os.environ["X"]``, ``process.env.X``). Code that reads a known credential and does something the
guard cannot name is opaque (asked). A file the guard cannot read is opaque too.
"""

from __future__ import annotations

import json
import os
import re

from scanner.guard.commands import common
from scanner.guard.commands.context import Ctx
from scanner.guard.commands.model import DELETE, OPAQUE, READ, WRITE, CredRef, Operation
from scanner.guard.commands.shell import SimpleCommand

_ENV_READ = re.compile(r"""(?:os\.environ(?:\.get)?\s*[\[(]\s*|os\.getenv\(\s*|process\.env\.|process\.env\[\s*|
                           ENV\[\s*|
                           Deno\.env\.get\(\s*|getenv\(\s*)['"]?([A-Z_][A-Z0-9_]*)""", re.X)
_SQL = re.compile(r"""['"`]\s*((?:DROP|TRUNCATE|DELETE|UPDATE|ALTER|GRANT|REVOKE)\b[^'"`]*)['"`]""", re.I)
_CODE_DELETE = re.compile(r"\.deleteMany\(\s*(\{\s*\})?\s*\)|\bdrop_all\s*\(|sync\(\s*\{\s*force\s*:\s*true|"
                          r"shutil\.rmtree\(|\.dropDatabase\(|\.drop\(\s*\)|fs\.rm(?:Sync)?\(.*recursive|"
                          r"\$executeRawUnsafe\(|\.truncate\(|FileUtils\.rm_rf|os\.removedirs\(")
_HTTP_CALL = re.compile(r"requests\.(post|put|patch|delete)|urllib|http\.client|fetch\(|axios|httpx|"
                        r"Net::HTTP|got\(|ky\(|XMLHttpRequest")
_METHOD_DELETE = re.compile(r"""requests\.delete|method\s*[:=]\s*['"]DELETE['"]|\.delete\(\s*['"]https?://""", re.I)


def judge_code(code: str, language: str, ctx: Ctx, where: str) -> None:
    from scanner.guard.commands.http import PROVIDER_HOSTS, urls_in

    env_names = list(dict.fromkeys(_ENV_READ.findall(code)))
    creds: list[CredRef] = ctx.literal_refs([code])
    for name in env_names:
        ref = ctx.env_ref(name)
        if ref is not None and (any(ctx.known(f) for f in ref.fingerprints) or common.verb_action([name], "") == ""
                                and any(w in name for w in ("TOKEN", "KEY", "SECRET", "URL", "PASSWORD"))):
            creds.append(ref)
    creds += list(ctx.injected)
    found = False
    mutation = re.search(r"mutation\s*\w*\s*(?:\([^)]*\))?\s*\{\s*(\w+)", code)
    urls = urls_in(code)
    hosts = {u.split("/")[2].split(":")[0].lower() for u in urls if len(u.split("/")) > 2}
    provider = next((PROVIDER_HOSTS[h] for h in hosts if h in PROVIDER_HOSTS), None)
    if mutation:
        from scanner.guard.commands import railway

        field = mutation.group(1)
        if provider == "railway" or field in railway.MUTATIONS:
            args = dict(re.findall(r"(\w+)\s*:\s*\\?['\"]([^'\"\\]+)", code[mutation.end():mutation.end() + 300]))
            action, kind, targets = railway.classify_mutation(field, args)
            ctx.add(Operation("railway", field, action, kind, tuple(targets), (), tuple(creds) or railway.credentials(
                ctx, []), summary=f"{where}: GraphQL mutation `{field}`"))
        else:
            action = common.verb_action([re.sub(r"(?<!^)(?=[A-Z])", "_", field)], WRITE)
            ctx.add(Operation(provider or "http", field, WRITE if action == READ else action, credentials=tuple(creds),
                              summary=f"{where}: GraphQL mutation `{field}`"))
        found = True
    elif _METHOD_DELETE.search(code) and urls:
        ctx.add(Operation(provider or "http", "HTTP DELETE", DELETE, None, (), common.env_hints(list(hosts)),
                          tuple(creds), summary=f"{where}: an HTTP DELETE to {', '.join(sorted(hosts))}"))
        found = True
    for statement in _SQL.findall(code)[:5]:
        from scanner.guard.commands.sql import classify_sql

        for action, summary in classify_sql(statement):
            db = [r for r in creds if r.env_var and "URL" in r.env_var] or creds
            ctx.add(Operation("database", summary, action, "database", (), (), tuple(db) or _database_default(ctx),
                              summary=f"{where}: SQL `{summary}`"))
            found = True
    match = _CODE_DELETE.search(code)
    if match:
        ctx.add(Operation("database" if "rmtree" not in match.group(0) and "rm" not in match.group(0) else "local",
                          match.group(0)[:40], DELETE, "database", (), (), tuple(creds) or _database_default(ctx),
                          local="rmtree" in match.group(0) or "fs.rm" in match.group(0),
                          summary=f"{where}: `{match.group(0)[:40]}`"))
        found = True
    if not found and _HTTP_CALL.search(code) and re.search(r"\b(post|put|patch|delete)\b", code, re.I) and creds:
        ctx.add(Operation(provider or "http", "HTTP call", OPAQUE, credentials=tuple(creds),
                          summary=f"{where}: an HTTP call with a credential the guard cannot read in full"))
        found = True
    if not found and re.search(r"\b(subprocess|os\.system|child_process|exec\(|eval\(|spawn\()", code):
        for command in re.findall(r"""(?:system|run|call|check_output|execSync|exec|spawnSync)\(\s*['"`]([^'"`]+)""",
                                  code)[:5]:
            from scanner.guard.commands.run import judge_text

            judge_text(command, ctx.child())
            found = True
        if not found:
            ctx.add(Operation("unknown", "code", OPAQUE, credentials=tuple(creds),
                              summary=f"{where}: code that runs other programs the guard cannot see"))
            found = True
    if not found and creds and any(ctx.known(f) for r in creds for f in r.fingerprints):
        ctx.add(Operation("unknown", "code", OPAQUE, credentials=tuple(creds),
                          summary=f"{where}: code that reads a known credential"))


def _database_default(ctx: Ctx) -> tuple[CredRef, ...]:
    from scanner.guard.commands.orm import _env_file_credentials

    return _env_file_credentials(ctx, None)[0]


def judge_interpreter(name: str, args: list[str], cmd: SimpleCommand, ctx: Ctx) -> None:
    language = "python" if name.startswith("python") else "js" if name in ("node", "nodejs", "deno", "bun", "tsx",
                                                                           "ts-node") else name
    if name == "php" and args[:1] == ["artisan"]:
        from scanner.guard.commands.orm import artisan

        artisan(args[1:], ctx)
        return
    if language == "python" and args[:2] in (["-m", "alembic"], ["-m", "django"]):
        from scanner.guard.commands.orm import alembic, django

        (alembic("alembic", args[2:], cmd, ctx) if args[1] == "alembic" else django(args[2:], ctx))
        return
    if language == "python" and args[:1] and args[0].endswith("manage.py"):
        from scanner.guard.commands.orm import django

        django(args[1:], ctx)
        return
    code_flags = {"python": ("-c",), "js": ("-e", "--eval", "-p", "--print", "eval"), "ruby": ("-e",),
                  "perl": ("-e", "-E"), "php": ("-r",)}.get(language, ("-c", "-e"))
    for i, arg in enumerate(args):
        if arg in code_flags and i + 1 < len(args):
            judge_code(args[i + 1], language, ctx, f"`{name} {arg}`")
            return
        if arg == "-m" and i + 1 < len(args):
            from scanner.guard.commands.registry import recogniser_for

            module = args[i + 1]
            recogniser = recogniser_for(module, args[i + 2:])
            if recogniser:
                recogniser(module, args[i + 2:], cmd, ctx)
            return
        if not arg.startswith("-"):
            judge_script_file(arg, args[i + 1:], cmd, ctx, interpreter=name)
            return
    if cmd.stdin_text is not None:
        judge_code(cmd.stdin_text, language, ctx, f"`{name}` reading stdin")
    elif cmd.piped_in or cmd.stdin_file:
        ctx.add(Operation("unknown", name, OPAQUE, credentials=tuple(ctx.literal_refs(args) + list(ctx.injected)),
                          summary=f"`{name}` runs code from a pipe or file the guard cannot see"))


def judge_script_file(path: str, args: list[str], cmd: SimpleCommand, ctx: Ctx, interpreter: str | None = None) -> None:
    base = os.path.basename(path)
    if base in ("rails", "rake") or path.endswith(("bin/rails", "bin/rake")):
        from scanner.guard.commands.orm import rails

        rails(base, args, cmd, ctx)
        return
    if base == "console" and any(a.startswith("doctrine:") for a in args):
        from scanner.guard.commands.orm import doctrine

        doctrine(args, ctx)
        return
    if base == "manage.py":
        from scanner.guard.commands.orm import django

        django(args, ctx)
        return
    if base == "artisan":
        from scanner.guard.commands.orm import artisan

        artisan(args, ctx)
        return
    if path.startswith("node_modules/.bin/") or "/node_modules/.bin/" in path:
        from scanner.guard.commands.registry import recogniser_for

        recogniser = recogniser_for(base, args)
        if recogniser:
            recogniser(base, args, cmd, ctx)
            return
    text = ctx.read_text(path)
    if text is None:
        refs = ctx.literal_refs(args) + ctx.var_refs(args) + list(ctx.injected)
        if not refs:
            refs = ctx.ambient_refs()
        ctx.add(Operation("unknown", f"run {path}", OPAQUE, credentials=tuple(refs),
                          summary=f"runs `{path}`, which the guard cannot read"))
        return
    first = text.split("\n", 1)[0]
    language = interpreter or ""
    if not language:
        if first.startswith("#!"):
            language = os.path.basename(first[2:].split()[-1] if "env" in first else first[2:].split()[0])
        elif path.endswith(".py"):
            language = "python"
        elif path.endswith((".js", ".mjs", ".cjs", ".ts")):
            language = "node"
        else:
            language = "sh"
    if path.endswith(".sql"):
        from scanner.guard.commands.sql import classify_sql, judge_statements

        judge_statements("sql", classify_sql(text), args, ctx, path)
        return
    if language in ("sh", "bash", "zsh", "dash", "ksh") or language.startswith(("bash", "sh")):
        from scanner.guard.commands.run import judge_text

        sub = ctx.child()
        for i, arg in enumerate(args[:9], start=1):
            sub.env[str(i)] = arg
        judge_text(text, sub)
        return
    judge_code(text, language, ctx, f"`{path}`")


def run_package_script(tool: str, args: list[str], cmd: SimpleCommand, ctx: Ctx) -> None:
    """``npm run X``/``yarn X``/``pnpm X``/``bun run X``: the script text from package.json."""
    pos = [a for a in args if not a.startswith("-")]
    if not pos:
        return
    if pos[0] in ("run", "run-script") and len(pos) > 1:
        script = pos[1]
    elif pos[0] in ("test", "start", "stop", "restart") or tool in ("yarn", "pnpm", "bun"):
        script = pos[0]
    else:
        if pos[0] in ("install", "i", "ci", "add", "publish", "unpublish"):
            if pos[0] == "unpublish":
                ctx.add(Operation("npm", "unpublish", DELETE, "package", tuple(pos[1:2]), ("production",),
                                  credentials=tuple(ctx.literal_refs(args)), summary="`npm unpublish`"))
            return
        return
    text = ctx.read_text("package.json")
    if text is None:
        return
    try:
        scripts = json.loads(text).get("scripts") or {}
    except (ValueError, AttributeError):
        return
    body = scripts.get(script) if isinstance(scripts, dict) else None
    if not isinstance(body, str):
        return
    from scanner.guard.commands.run import judge_text

    extra = args[args.index("--") + 1:] if "--" in args else []
    sub = ctx.child()
    bin_path = os.path.join(ctx.cwd, "node_modules", ".bin")
    sub.env["PATH"] = bin_path + os.pathsep + sub.env.get("PATH", "")
    for hook in (f"pre{script}",):
        if isinstance(scripts.get(hook), str):
            judge_text(scripts[hook], sub)
    judge_text(body + (" " + " ".join(extra) if extra else ""), sub)


def run_make(args: list[str], cmd: SimpleCommand, ctx: Ctx) -> None:
    makefile = common.option(args, "-f", "--file") or next(
        (n for n in ("GNUmakefile", "makefile", "Makefile") if os.path.exists(os.path.join(ctx.cwd, n))), None)
    if not makefile:
        return
    text = ctx.read_text(makefile)
    if text is None:
        ctx.add(Operation("unknown", "make", OPAQUE, summary=f"`make` with `{makefile}`, which the guard cannot read"))
        return
    targets = [a for a in common.positionals(args, {"-f", "--file", "-C", "-j"}) if "=" not in a]
    rules: dict[str, list[str]] = {}
    deps: dict[str, list[str]] = {}
    current: list[str] | None = None
    first_target = None
    for line in text.splitlines():
        if line.startswith("\t") and current is not None:
            current.append(line.strip().lstrip("@-+"))
            continue
        match = re.match(r"^([A-Za-z0-9_.\-/ ]+?)\s*:(?!=)\s*(.*)$", line)
        if match and not line.startswith("."):
            names = match.group(1).split()
            current = []
            for name in names:
                rules[name] = current
                deps[name] = match.group(2).split()
                first_target = first_target or name
        elif not line.strip():
            continue
        else:
            current = None
    from scanner.guard.commands.run import judge_text

    seen: set[str] = set()

    def run_target(target: str, depth: int = 0) -> None:
        if target in seen or depth > 8:
            return
        seen.add(target)
        for dep in deps.get(target, []):
            run_target(dep, depth + 1)
        recipe = rules.get(target)
        if recipe:
            judge_text("\n".join(recipe).replace("$(MAKE)", "make").replace("$$", "$"), ctx.child())

    for target in targets or ([first_target] if first_target else []):
        run_target(target)


__all__ = ["READ", "judge_code", "judge_interpreter", "judge_script_file", "run_make", "run_package_script"]
