"""git and the GitHub CLI (``gh``, including ``gh api`` REST and GraphQL).

``git push`` rewrites or deletes a branch without any "delete" word: ``--force``/``-f``/
``--force-with-lease``/``+ref``, ``:main`` and ``--delete`` -> delete; the class of the target comes
from the branch name (``main``/``master``/``production`` are production). ``gh``: ``repo delete``,
``release delete``, ``api -X DELETE`` -> delete; ``repo edit --visibility``/``api PUT
.../collaborators`` -> admin. Credentials as gh loads them: ``GH_TOKEN`` > ``GITHUB_TOKEN`` >
``~/.config/gh/hosts.yml``; git over HTTPS uses the same through gh's credential helper, or
``~/.git-credentials``.
"""

from __future__ import annotations

from scanner.guard import envclass
from scanner.guard.commands import common
from scanner.guard.commands.context import Ctx
from scanner.guard.commands.model import ADMIN, DELETE, READ, WRITE, CredRef, Operation
from scanner.guard.commands.shell import SimpleCommand

GH_ENV = ("GH_TOKEN", "GITHUB_TOKEN", "GH_ENTERPRISE_TOKEN")


def github_credentials(ctx: Ctx, words: list[str]) -> tuple[CredRef, ...]:
    named = ctx.literal_refs(words)
    if named:
        return tuple(named)
    ref = ctx.first_env("github", GH_ENV)
    if ref is not None:
        return (ref,)
    return (ctx.store_ref("github", (".config/gh/hosts.yml", ".git-credentials"),
                          "the gh login in `~/.config/gh/hosts.yml`", store="gh-hosts"),)


def git(name: str, args: list[str], cmd: SimpleCommand, ctx: Ctx) -> None:
    value_opts = {"-C", "-c", "--git-dir", "--work-tree"}
    pos = common.positionals(args, value_opts)
    if not pos or pos[0] != "push":
        if pos[:1] in (["reset"],) and common.has(args, "--hard"):
            ctx.add(Operation("git", "reset --hard", WRITE, local=True,
                              summary="`git reset --hard` (local changes lost)"))
        return
    push_args = args[args.index("push") + 1:]
    rest = common.positionals(push_args, {"-o", "--push-option", "--repo"})
    refs = rest[1:] if len(rest) > 1 else []
    force = common.has(push_args, "--force", "-f", "--force-with-lease", "--mirror") or any(
        r.startswith("+") for r in refs)
    delete = common.has(push_args, "--delete", "-d", "--prune") or any(r.startswith(":") for r in refs)
    branches = [r.lstrip("+:").split(":")[-1].removeprefix("refs/heads/") for r in refs] or ["(current branch)"]
    action = DELETE if force or delete else WRITE
    # A branch named like an environment has that class; any other named branch (feature/x) is
    # development: pushing it is routine. The current branch, unnamed here, stays unknown.
    classes = [envclass.classify(b) if envclass.classify(b) != envclass.UNKNOWN or b.startswith("(")
               else envclass.DEVELOPMENT for b in branches]
    hints = tuple(c for c in classes if c != envclass.UNKNOWN)
    verb = "delete branch" if delete else "force-push" if force else "push"
    target = f"branch {', '.join(branches)}"
    ctx.add(Operation("git", f"git {verb}", action, "branch", tuple(branches), hints,
                      github_credentials(ctx, args), summary=f"`git push` ({verb} {target})"))


def gh(name: str, args: list[str], cmd: SimpleCommand, ctx: Ctx) -> None:
    pos = common.positionals(args, {"-R", "--repo", "-X", "--method", "-f", "-F", "--field", "--raw-field", "-H",
                                    "--header", "--hostname", "-q", "--jq", "-t", "--template", "--input"})
    if not pos:
        return
    creds = github_credentials(ctx, args)
    repo = common.option(args, "-R", "--repo")
    if pos[0] == "api":
        from scanner.guard.commands import http

        method = (common.option(args, "-X", "--method") or "").upper()
        fields = common.options(args, "-f", "-F", "--field", "--raw-field")
        endpoint = pos[1] if len(pos) > 1 else ""
        if not method:
            method = "POST" if fields or common.option(args, "--input") else "GET"
        body = None
        if endpoint == "graphql":
            query = next((f.split("=", 1)[1] for f in fields if f.startswith("query=")), "")
            import json

            body = json.dumps({"query": query})
            method = "POST"
        url = "https://api.github.com/" + endpoint.lstrip("/")
        http.judge_request(method, url, [], body, args, ctx, tool="gh api")
        # credentials: gh adds its own; judge_request saw none in the words, so attach gh's
        if ctx.ops and ctx.ops[-1].provider == "github" and not ctx.ops[-1].credentials:
            last = ctx.ops.pop()
            ctx.add(Operation(last.provider, last.operation, last.action, last.target_kind, last.targets,
                              last.hints, creds, last.local, last.summary))
        return
    group = pos[0]
    verb = pos[1] if len(pos) > 1 else ""
    action = common.verb_action([verb], WRITE) if verb else READ
    if group == "repo" and verb == "edit":
        action = ADMIN if common.has(args, "--visibility") else WRITE
    if group in ("secret", "variable") and verb in ("set",):
        action = WRITE
    if group in ("auth",) and verb in ("token",):
        action = READ
    target = repo or (pos[2] if len(pos) > 2 and "/" in pos[2] else None)
    operation = {("repo", "delete"): "delete_repo"}.get((group, verb), f"gh {group} {verb}".strip())
    ctx.add(Operation("github", operation, action, "repository" if group == "repo" or target else None,
                      (target,) if target else (), (), creds, summary=f"`gh {group} {verb}`".replace(" `", "`")))
