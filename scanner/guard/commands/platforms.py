"""PaaS CLIs behind real incidents: Fly, Vercel, Heroku, Supabase, Stripe, Netlify, Neon, DigitalOcean.

Per-CLI tables for what a verb alone hides: ``heroku pg:backups:restore`` overwrites the live
database, ``heroku pg:reset`` empties it, ``supabase db reset --linked`` resets the remote one,
``vercel --prod`` targets production, ``stripe ... --live`` uses live mode. Credentials as each CLI
loads them: its token variable, else its config store (``~/.fly/config.yml``, Vercel's
``auth.json``, ``~/.netrc`` for Heroku, ``~/.supabase/access-token``, Stripe's config).
"""

from __future__ import annotations

from scanner.guard.commands import common
from scanner.guard.commands.context import Ctx
from scanner.guard.commands.model import ADMIN, DELETE, READ, WRITE, CredRef, Operation
from scanner.guard.commands.shell import SimpleCommand

HEROKU_TABLE = {"pg:backups:restore": DELETE, "pg:reset": DELETE, "pg:copy": DELETE, "apps:destroy": DELETE,
                "destroy": DELETE, "addons:destroy": DELETE, "addons:detach": DELETE, "config:unset": DELETE,
                "pg:push": DELETE, "redis:cli": WRITE, "pg:psql": WRITE, "run": WRITE, "releases:rollback": DELETE,
                "rollback": DELETE, "access:add": ADMIN, "access:remove": ADMIN, "apps:transfer": ADMIN,
                "authorizations:create": ADMIN, "ps:scale": WRITE, "maintenance:on": WRITE}
FLY_DELETE = {("apps", "destroy"), ("destroy",), ("volumes", "destroy"), ("volumes", "delete"), ("vol", "destroy"),
              ("machine", "destroy"), ("machines", "destroy"), ("postgres", "detach"), ("pg", "detach"),
              ("secrets", "unset"), ("apps", "delete"), ("ips", "release"), ("certs", "remove")}
STORES = {
    "fly": ("FLY_API_TOKEN", "FLY_ACCESS_TOKEN"), "vercel": ("VERCEL_TOKEN",), "heroku": ("HEROKU_API_KEY",),
    "supabase": ("SUPABASE_ACCESS_TOKEN",), "stripe": ("STRIPE_API_KEY", "STRIPE_SECRET_KEY"),
    "netlify": ("NETLIFY_AUTH_TOKEN",), "neon": ("NEON_API_KEY",), "digitalocean": ("DIGITALOCEAN_ACCESS_TOKEN",),
    "render": ("RENDER_API_KEY",),
}
STORE_FILES = {
    "fly": ((".fly/config.yml",), "fly-config"), "vercel": ((".local/share/com.vercel.cli/auth.json",
                                                             ".config/com.vercel.cli/auth.json"), "vercel-auth"),
    "heroku": ((".netrc",), "netrc"), "supabase": ((".supabase/access-token",), "supabase-access-token"),
    "stripe": ((".config/stripe/config.toml",), None), "netlify": ((".config/netlify/config.json",), None),
    "digitalocean": ((".config/doctl/config.yaml",), "doctl-config"),
    "neon": ((".config/neonctl/credentials.json",), None),
    "render": ((".render/cli.yaml",), None),
}
CLI_PROVIDER = {"fly": "fly", "flyctl": "fly", "vercel": "vercel", "heroku": "heroku", "supabase": "supabase",
                "stripe": "stripe", "netlify": "netlify", "neonctl": "neon", "neon": "neon", "doctl": "digitalocean",
                "render": "render"}


def credentials(ctx: Ctx, provider: str, args: list[str]) -> tuple[CredRef, ...]:
    named = ctx.literal_refs(args)
    if named:
        return tuple(named)
    token = common.option(args, "--token", "-t", "--access-token", "--api-key")
    if token and "$" in token:
        refs = ctx.var_refs([token])
        if refs:
            return tuple(refs)
    ref = ctx.first_env(provider, STORES.get(provider, ()))
    if ref is not None:
        return (ref,)
    files, store = STORE_FILES.get(provider, ((), None))
    return (ctx.store_ref(provider, files, f"the {provider} CLI login", store=store),)


def recognise(name: str, args: list[str], cmd: SimpleCommand, ctx: Ctx) -> None:
    provider = CLI_PROVIDER[name]
    value_opts = {"-a", "--app", "-r", "--remote", "--scope", "--project-ref", "--token", "-t", "--team",
                  "--db-url", "-c", "--config", "--org", "-o", "--api-key", "--context", "-e", "--environment"}
    pos = common.positionals(args, value_opts)
    creds = credentials(ctx, provider, args)
    app = common.option(args, "-a", "--app", "--project-ref", "--scope")
    hints: list[str] = [h for h in (app, common.option(args, "--environment", "-e", "--context")) if h]
    action = READ
    operation = f"{name} {' '.join(pos[:2])}".strip()
    targets = [app] if app else []
    if provider == "heroku":
        verb = pos[0] if pos else ""
        action = HEROKU_TABLE.get(verb) or common.verb_action([verb], WRITE if ":" in verb and not verb.endswith(
            (":info", ":list")) else READ)
        operation = f"heroku {verb}"
        targets += pos[1:2] if verb in ("apps:destroy", "destroy") else []
    elif provider == "fly":
        key = tuple(pos[:2]) if len(pos) > 1 and tuple(pos[:2]) in FLY_DELETE else tuple(pos[:1])
        if key in FLY_DELETE:
            action = DELETE
        elif pos[:1] in (["deploy"], ["scale"], ["secrets"], ["launch"], ["machine"], ["volumes"], ["postgres"]):
            action = common.verb_action(pos[1:2], WRITE) if pos[:1] != ["deploy"] else WRITE
        elif pos[:1] in (["ssh"], ["console"], ["proxy"]):
            action = WRITE
        else:
            action = common.verb_action(pos[:2], READ)
        targets += [p for p in pos[2:3]]
    elif provider == "vercel":
        verb = pos[0] if pos else "deploy"
        if verb in ("remove", "rm") or (len(pos) > 1 and pos[1] in ("rm", "remove")):
            action = DELETE
        elif verb in ("deploy", "redeploy", "promote", "rollback", "alias", "env", "domains", "dns") or not pos:
            action = WRITE if verb not in ("rollback",) else DELETE
            if verb in ("env", "domains", "dns", "alias") and len(pos) > 1:
                action = common.verb_action([pos[1]], WRITE)
        else:
            action = common.verb_action([verb], READ)
        if common.has(args, "--prod", "--production") or verb == "promote":
            hints.append("production")
        targets += pos[1:2] if action == DELETE else []
    elif provider == "supabase":
        verb = " ".join(pos[:2])
        if verb in ("db reset", "projects delete", "storage rm", "branches delete", "functions delete",
                    "secrets unset"):
            action = DELETE
            if verb == "db reset" and not (common.has(args, "--linked") or common.option(args, "--db-url")):
                # a local reset of the dev database supabase start runs
                ctx.add(Operation("supabase", "db reset (local)", DELETE, "database", ("local",), ("local",),
                                  (), local=True, summary="`supabase db reset` (the local database)"))
                return
        elif verb.startswith(("db push", "migration", "functions deploy", "secrets set", "link", "db dump")):
            action = WRITE if not verb.startswith("db dump") else READ
        else:
            action = common.verb_action(pos[:2], READ)
        operation = f"supabase {verb}"
        targets += pos[2:3]
        url = common.option(args, "--db-url")
        if url:
            hints += list(common.env_hints([url]))
            creds = tuple(ctx.literal_refs([url]) or ctx.var_refs([url])) or creds
    elif provider == "stripe":
        verb = pos[0] if pos else ""
        if verb in ("delete",) or (len(pos) > 1 and pos[1] in ("delete", "cancel", "void")):
            action = DELETE
        elif verb in ("post",) or (len(pos) > 1 and pos[1] in ("create", "update", "capture", "pay")):
            action = WRITE
        else:
            action = READ if verb in ("get", "listen", "logs", "events", "trigger", "login", "config", "") or (
                len(pos) > 1 and pos[1] in ("list", "retrieve")) else WRITE
        hints.append("production" if common.has(args, "--live") else "")
        targets += pos[1:2] if verb in ("delete", "get", "post") else pos[2:3]
    else:
        action = common.verb_action(pos[:2], READ if not pos else WRITE)
    ctx.add(Operation(provider, operation, action, None, tuple(t for t in targets if t),
                      common.env_hints([h for h in hints if h]), creds, summary=f"`{operation}`"))
