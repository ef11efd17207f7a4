"""Raw HTTP calls (curl, wget, httpie/xh, and URLs found in one-liners) -> provider operations.

The request is rebuilt from the flags in any order (``-X``/``--request``, ``-d``/``--data*``/
``--json``/``-F`` imply POST, ``-G`` turns data into a query, ``-d @file`` reads the file, headers
from ``-H``), the host names the provider, and the body is read as GraphQL when it carries a
``query`` (Railway, GitHub v4, Fly, Linear...). REST verbs map to actions by per-provider tables
where a method alone misleads (GitHub ``PATCH .../git/refs`` with ``force``), else DELETE -> delete,
POST/PUT/PATCH -> write, GET/HEAD -> read. Credentials: whatever known secret the request carries
(any header, URL, ``-u``), else the variables it expands in auth positions.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, unquote, urlsplit

from scanner.guard.commands import common, graphql, railway
from scanner.guard.commands.context import Ctx
from scanner.guard.commands.model import ADMIN, DELETE, OPAQUE, READ, WRITE, CredRef, Operation
from scanner.guard.commands.shell import SimpleCommand, variables_in

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on the hook path
if TYPE_CHECKING:
    from typing import Any

PROVIDER_HOSTS = {
    "backboard.railway.app": "railway", "backboard.railway.com": "railway",
    "api.github.com": "github", "uploads.github.com": "github",
    "api.vercel.com": "vercel", "api.heroku.com": "heroku", "api.fly.io": "fly", "api.machines.dev": "fly",
    "api.supabase.com": "supabase", "api.stripe.com": "stripe", "api.cloudflare.com": "cloudflare",
    "api.digitalocean.com": "digitalocean", "gitlab.com": "gitlab", "api.netlify.com": "netlify",
    "api.render.com": "render", "console.neon.tech": "neon", "api.linear.app": "linear",
    "slack.com": "slack", "api.openai.com": "openai", "api.anthropic.com": "anthropic",
    "api.sendgrid.com": "sendgrid", "api.datadoghq.com": "datadog", "sentry.io": "sentry",
}
_URL = re.compile(r"https?://[^\s'\"<>`]+")

# REST paths whose method alone understates (provider docs: GitHub "Update a reference" with
# force=true rewrites history; Heroku "Create a formation"/"Release rollback"; Vercel env "upsert").
REST_TABLE: list[tuple[str, str, str, str, str]] = [
    # provider, method, path regex, action, operation
    ("github", "DELETE", r"^/repos/[^/]+/[^/]+/?$", DELETE, "delete_repo"),
    ("github", "PATCH", r"^/repos/[^/]+/[^/]+/git/refs/", DELETE, "force-update ref"),
    ("github", "DELETE", r"^/repos/[^/]+/[^/]+/git/refs/", DELETE, "delete ref"),
    ("github", "PUT", r"^/repos/[^/]+/[^/]+/collaborators/", ADMIN, "add collaborator"),
    ("github", "PATCH", r"^/repos/[^/]+/[^/]+/?$", ADMIN, "update repository settings"),
    ("github", "PUT", r"/branches/[^/]+/protection", ADMIN, "branch protection"),
    ("github", "DELETE", r"/branches/[^/]+/protection", ADMIN, "remove branch protection"),
    ("github", "PUT", r"^/orgs/[^/]+/memberships/", ADMIN, "org membership"),
    ("heroku", "POST", r"/releases/?$", DELETE, "release rollback"),
    ("heroku", "PATCH", r"/config-vars/?$", WRITE, "config-vars update"),
    ("supabase", "POST", r"/restore", DELETE, "restore backup"),
    ("supabase", "POST", r"/database/query", WRITE, "database query"),
    ("vercel", "DELETE", r"/projects/", DELETE, "project delete"),
]


def recognise(name: str, args: list[str], cmd: SimpleCommand, ctx: Ctx) -> None:
    if name in ("http", "https", "xh", "xhs", "httpie"):
        request = _httpie(args)
    elif name in ("wget",):
        request = _wget(args)
    else:
        request = _curl(args)
    if request is None:
        return
    method, url, headers, body, files = request
    for path in files:
        text = ctx.read_text(path)
        if text is None:
            ctx.add(Operation("unknown", f"{name} -d @{path}", OPAQUE, credentials=tuple(ctx.file_refs(path)),
                              summary=f"`{name}` sends `{path}`, which the guard cannot read"))
        else:
            body = (body or "") + text
    judge_request(method, url, headers, body, [*args], ctx, tool=name)


def judge_request(method: str, url: str, headers: list[str], body: str | None, words: list[str], ctx: Ctx,
                  tool: str = "http") -> None:
    parts = urlsplit(url if "://" in url else "https://" + url)
    host = (parts.hostname or "").lower()
    provider = PROVIDER_HOSTS.get(host) or next((p for h, p in PROVIDER_HOSTS.items() if host.endswith("." + h)),
                                                 None)
    if provider is None and host.endswith(".supabase.co"):
        provider = "supabase"
    creds = _credentials(ctx, words, headers, provider)
    hints = common.env_hints([host])
    payload: Any = None
    if body:
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
    if payload is None and parts.query and "query=" in parts.query:
        query = parse_qs(parts.query).get("query")
        payload = {"query": query[0]} if query else None
    gql = graphql.from_body(payload) if payload is not None else []
    if not gql and body and re.search(r"\bmutation\b", body):
        gql = [(None, body)]
    if gql:
        for ops, text in gql:
            if ops is None:
                if re.search(r"\bmutation\b", text):
                    ctx.add(Operation(provider or host, "GraphQL mutation", OPAQUE, credentials=creds,
                                      hints=hints, summary=f"a GraphQL mutation to `{host}` the guard cannot parse"))
                continue
            for op in ops:
                for field in op.fields:
                    ctx.add(_graphql_op(provider, host, op.kind, field.name, field.args, creds, hints))
        return
    action, operation = _rest_action(provider, method, parts.path)
    targets = _rest_targets(provider, parts.path)
    ctx.add(Operation(provider or host or "http", operation, action, None, targets, hints, creds,
                      summary=f"{method} {host}{parts.path[:80]}"))


def _graphql_op(provider: str | None, host: str, kind: str, field: str, args: dict[str, Any],
                creds: tuple[CredRef, ...], hints: tuple[str, ...]) -> Operation:
    if kind != "mutation":
        return Operation(provider or host, field, READ, credentials=creds, hints=hints,
                         summary=f"GraphQL query `{field}` to `{host}`")
    if provider == "railway":
        action, target_kind, targets = railway.classify_mutation(field, args)
    else:
        action = common.verb_action([re.sub(r"(?<!^)(?=[A-Z])", "_", field)], WRITE)
        action = WRITE if action == READ else action
        target_kind = None
        targets = [v for v in args.values() if isinstance(v, str)][:3]
    return Operation(provider or host, field, action, target_kind, tuple(targets), hints, creds,
                     summary=f"GraphQL mutation `{field}` to `{host}`")


def _rest_action(provider: str | None, method: str, path: str) -> tuple[str, str]:
    for prov, meth, pattern, action, operation in REST_TABLE:
        if prov == provider and meth == method and re.search(pattern, path):
            return action, operation
    if method == "DELETE":
        return DELETE, f"DELETE {path[:60]}"
    if method in ("POST", "PUT", "PATCH"):
        return WRITE, f"{method} {path[:60]}"
    return READ, f"{method} {path[:60]}"


def _rest_targets(provider: str | None, path: str) -> tuple[str, ...]:
    segments = [unquote(s) for s in path.split("/") if s]
    if provider == "github" and len(segments) >= 3 and segments[0] == "repos":
        return (f"{segments[1]}/{segments[2]}",)
    return tuple(s for s in segments[-2:] if not re.fullmatch(r"v\d+", s))


def _credentials(ctx: Ctx, words: list[str], headers: list[str], provider: str | None) -> tuple[CredRef, ...]:
    named = ctx.literal_refs(words)
    if named:
        return tuple(named)
    auth_words = [h for h in headers if re.match(r"(?i)\s*(authorization|project-access-token|x-api-key|"
                                                 r"private-token|x-auth-token|api-key|cookie)\s*:", h)]
    auth_words += [w for w in words if "://" in w and "@" in w] + common.options(words, "-u", "--user")
    refs: list[CredRef] = []
    for word in auth_words:
        names = variables_in(word)
        for var in names:
            ref = ctx.env_ref(var, provider=provider)
            refs.append(ref if ref is not None else CredRef("unknown", f"env var {var} (not set for the guard)",
                                                            (), env_var=var, provider=provider))
        if not names:
            value = word.split(":", 1)[1].strip() if ":" in word else word
            value = re.sub(r"(?i)^(bearer|token|basic)\s+", "", value)
            if len(value) >= 8:
                refs.append(CredRef("unknown", "an auth value in the command the reach map does not know", (),
                                    provider=provider))
    refs += [r for r in ctx.var_refs(words) if r not in refs and any(ctx.known(f) for f in r.fingerprints)]
    if refs:
        return tuple(refs)
    if provider == "railway":
        return ()
    return ()


def _curl(args: list[str]) -> tuple[str, str, list[str], str | None, list[str]] | None:
    method: str | None = None
    url = ""
    headers: list[str] = []
    data: list[str] = []
    files: list[str] = []
    get = False
    value_flags = {"-X", "--request", "-H", "--header", "-d", "--data", "--data-raw", "--data-binary",
                   "--data-urlencode", "--data-ascii", "--json", "-F", "--form", "-u", "--user", "-o", "--output",
                   "-A", "--user-agent", "-e", "--referer", "-b", "--cookie", "-c", "--cookie-jar", "-K",
                   "--config", "--url", "-w", "--write-out", "-m", "--max-time", "--connect-timeout", "-x",
                   "--proxy", "-T", "--upload-file", "--cacert", "--cert", "--key", "-E", "--retry", "--resolve"}
    i = 0
    while i < len(args):
        arg = args[i]
        value = args[i + 1] if i + 1 < len(args) else ""
        flag = arg
        if arg.startswith("--") and "=" in arg:
            flag, value = arg.split("=", 1)
            i -= 1
        elif len(arg) > 2 and arg[:2] in ("-X", "-H", "-d", "-u", "-F") and not arg.startswith("--"):
            flag, value = arg[:2], arg[2:]
            i -= 1
        if flag in ("-X", "--request"):
            method = value.upper()
        elif flag in ("-H", "--header"):
            headers.append(value)
        elif flag in ("-d", "--data", "--data-raw", "--data-binary", "--data-urlencode", "--data-ascii", "--json"):
            if value.startswith("@") and flag != "--data-raw":
                files.append(value[1:])
            else:
                data.append(value)
        elif flag in ("-F", "--form"):
            data.append(value)
        elif flag in ("-T", "--upload-file"):
            method = method or "PUT"
        elif flag == "--url":
            url = value
        elif flag in ("-I", "--head"):
            method = method or "HEAD"
        elif flag in ("-G", "--get"):
            get = True
        elif flag in ("-u", "--user"):
            headers.append(f"Authorization: Basic {value}")
        if flag in value_flags:
            i += 2
            continue
        if not arg.startswith("-") and not url:
            url = arg
        i += 1
    if not url:
        return None
    body = "&".join(data) if data else None
    if method is None:
        method = "GET" if get or body is None else "POST"
    return method, url, headers, body if not get else None, files


def _wget(args: list[str]) -> tuple[str, str, list[str], str | None, list[str]] | None:
    method = (common.option(args, "--method") or "").upper() or None
    body = common.option(args, "--post-data", "--body-data")
    file = common.option(args, "--post-file", "--body-file")
    headers = common.options(args, "--header")
    urls = [a for a in args if "://" in a and not a.startswith("-")]
    if not urls:
        return None
    if method is None:
        method = "POST" if body is not None or file else "GET"
    return method, urls[0], headers, body, [file] if file else []


def _httpie(args: list[str]) -> tuple[str, str, list[str], str | None, list[str]] | None:
    pos = [a for a in args if not a.startswith("-")]
    if not pos:
        return None
    method = None
    if pos[0].isupper() and pos[0].isalpha():
        method, pos = pos[0], pos[1:]
    if not pos:
        return None
    url, items = pos[0], pos[1:]
    headers: list[str] = []
    data: dict[str, Any] = {}
    files: list[str] = []
    for item in items:
        match = re.match(r"^([^:=@]+)(:=@|:=|==|=@|=|:|@)(.*)$", item, re.S)
        if not match:
            continue
        key, sep, value = match.groups()
        if sep == ":":
            headers.append(f"{key}: {value}")
        elif sep == "=":
            data[key] = value
        elif sep == ":=":
            try:
                data[key] = json.loads(value)
            except ValueError:
                data[key] = value
        elif sep in ("=@", ":=@", "@"):
            files.append(value)
    for flag in ("-a", "--auth"):
        value = common.option(args, flag)
        if value:
            headers.append(f"Authorization: Basic {value}")
    body = json.dumps(data) if data else None
    if method is None:
        method = "POST" if data or files else "GET"
    return method, url, headers, body, files


def urls_in(text: str) -> list[str]:
    return _URL.findall(text)
