"""MCP tool calls judged like commands: the server names the provider, the tool name the action.

Tool names arrive as ``mcp__server__tool`` (Claude Code, Codex), ``MCP:server:tool`` (Cursor),
``mcp_server_tool`` (Gemini), ``server-tool`` (Copilot) or ``server``/``tool`` fields (Cline).
Arguments that carry SQL (``execute_sql``/``query``) are classified as SQL; ids and names in the
arguments are the targets; ``environment``-like arguments are hints. The credential is the one the
MCP server was configured with, which the hook cannot see: every credential of that provider in the
map is a candidate (the strictest decides), and none means unknown.
"""

from __future__ import annotations

import re

from scanner.guard.commands import common
from scanner.guard.commands.context import Ctx
from scanner.guard.commands.model import READ, WRITE, CredRef, Operation

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on the hook path
if TYPE_CHECKING:
    from typing import Any

SERVER_PROVIDER = {"railway": "railway", "supabase": "supabase", "github": "github", "vercel": "vercel",
                   "fly": "fly", "heroku": "heroku", "stripe": "stripe", "aws": "aws", "postgres": "postgres",
                   "postgresql": "postgres", "neon": "neon", "cloudflare": "cloudflare", "kubernetes": "kubernetes",
                   "k8s": "kubernetes", "gitlab": "gitlab", "linear": "linear", "slack": "slack",
                   "mongodb": "mongodb", "mysql": "mysql", "render": "render", "netlify": "netlify"}
_TARGET_KEYS = ("volumeId", "volume_id", "serviceId", "service_id", "environmentId", "environment_id", "projectId",
                "project_id", "project_ref", "id", "name", "repo", "repository", "bucket", "database", "app",
                "app_name", "table", "branch")
_HINT_KEYS = ("environment", "environmentName", "env", "stage", "branch", "context", "environment_name")


def split_name(tool: str) -> tuple[str, str] | None:
    for pattern in (r"^mcp__(?:plugin_[^_]+_)?(.+?)__(.+)$", r"^MCP:([^:]+):(.+)$", r"^mcp_([^_]+)_(.+)$"):
        match = re.match(pattern, tool)
        if match:
            return match.group(1), match.group(2)
    return None


def judge_mcp(server: str, tool: str, arguments: Any, ctx: Ctx) -> None:
    provider = next((p for key, p in SERVER_PROVIDER.items() if key in server.lower()), server.lower())
    args = arguments if isinstance(arguments, dict) else {}
    words = re.split(r"[_\-\s]+|(?<=[a-z])(?=[A-Z])", tool)
    action = common.verb_action(words, WRITE)
    sql_text = next((v for k, v in args.items() if isinstance(v, str) and k in ("sql", "query", "statement")), None)
    flat = [str(v) for v in args.values() if isinstance(v, (str, int))]
    creds: list[CredRef] = ctx.literal_refs(flat)
    if not creds and ctx.reach:
        fps = tuple(c.fingerprint for c in ctx.reach.of_provider(provider))
        creds = [CredRef("store", f"the credential the `{server}` MCP server was configured with", fps,
                         provider=provider)]
    if not creds:
        creds = [CredRef("store", f"the credential the `{server}` MCP server was configured with", (),
                         provider=provider)]
    targets = tuple(str(args[k]) for k in _TARGET_KEYS if isinstance(args.get(k), (str, int)))
    hints = common.env_hints([str(args[k]) for k in _HINT_KEYS if isinstance(args.get(k), str)])
    if sql_text and re.search(r"sql|query|execute|statement", tool, re.I):
        from scanner.guard.commands.sql import classify_sql

        for sql_action, summary in classify_sql(sql_text)[:10]:
            ctx.add(Operation(provider, f"{tool}: {summary}", sql_action, "database", targets, hints, tuple(creds),
                              summary=f"MCP `{server}` tool `{tool}`: {summary}"))
        return
    operation = tool
    if provider == "railway":
        from scanner.guard.commands.railway import MUTATIONS

        camel = re.sub(r"_([a-z])", lambda m: m.group(1).upper(), tool)
        if camel in MUTATIONS or tool in MUTATIONS:
            operation = camel if camel in MUTATIONS else tool
            action = MUTATIONS[operation][0]
        else:
            kind = next((k for k in ("volume", "service", "environment", "project") if k in tool.lower()), None)
            if kind and action == "delete":
                operation = f"{kind}Delete"
    ctx.add(Operation(provider, operation, action if action != "" else READ, None, targets, hints, tuple(creds),
                      summary=f"MCP `{server}` tool `{tool}`"))
