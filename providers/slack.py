"""Slack: who a bot/user/app token is and what its OAuth scopes let it do, read-only.

``auth.test`` (the one POST the guard allows for Slack; it needs no scope and changes nothing)
gives identity and, in the ``x-oauth-scopes`` response header, the token's scopes. Scopes are the
whole permission model for Slack tokens, so capabilities follow from them: ``chat:write`` can
post as the bot (phishing), ``channels:manage`` can archive/rename channels, ``admin*`` scopes
administer the workspace. With ``users:read`` a user token's admin/owner flags are read from
``users.info``; with ``channels:read`` the channels reached are listed (names only, never
messages). Webhook URLs can only be tested by posting a message, so they are never called.
Slack answers most errors as HTTP 200 ``{"ok": false, "error": ...}``.
"""

from __future__ import annotations

from typing import Any

from providers.base import (
    Introspection,
    Provider,
    ProviderContext,
    ProviderError,
    classify_environment,
    invalid,
    live,
    status_problem,
    unverifiable,
)
from providers.guard import MutationRefused, ReadOnlyPost
from scanner.model import Action, BlastRadius, Capability, Credential, Resource
from scanner.redact import safe_error

_INVALID_ERRORS = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
                   "not_allowed_token_type"}
# scope -> (action, operation); read scopes are handled generically (":read" / ":history").
_SCOPE_ACTIONS: dict[str, tuple[Action, str]] = {
    "chat:write": (Action.WRITE, "chat.postMessage (post as this identity)"),
    "chat:write.public": (Action.WRITE, "chat.postMessage to any public channel"),
    "chat:write.customize": (Action.WRITE, "chat.postMessage with any name/avatar (impersonation)"),
    "channels:manage": (Action.WRITE, "conversations.archive/rename/kick (public channels)"),
    "groups:write": (Action.WRITE, "conversations.archive/rename/kick (private channels)"),
    "channels:write": (Action.WRITE, "conversations.archive/rename (public channels)"),
    "im:write": (Action.WRITE, "conversations.open (direct messages)"),
    "files:write": (Action.DELETE, "files.delete / files.upload"),
    "remote_files:write": (Action.DELETE, "files.remote.remove"),
    "users:write": (Action.WRITE, "users.setPresence"),
    "users.profile:write": (Action.WRITE, "users.profile.set"),
    "usergroups:write": (Action.WRITE, "usergroups.update"),
    "bookmarks:write": (Action.WRITE, "bookmarks.remove/edit"),
    "pins:write": (Action.WRITE, "pins.remove"),
    "reactions:write": (Action.WRITE, "reactions.add/remove"),
    "calls:write": (Action.WRITE, "calls.add"),
    "client": (Action.ADMIN, "legacy full client access"),
    "admin": (Action.ADMIN, "legacy workspace administration"),
}


class SlackProvider(Provider):
    name = "slack"
    display_name = "Slack"
    kinds = frozenset({"slack_bot_token", "slack_user_token", "slack_app_token", "slack_webhook"})
    default_base_url = "https://slack.com/api"
    reveals = "workspace, user/bot identity, OAuth scopes (x-oauth-scopes), admin flags, channels reached"
    docs = ("https://docs.slack.dev/reference/methods/auth.test",
            "https://docs.slack.dev/reference/methods/users.info",
            "https://docs.slack.dev/reference/methods/conversations.list",
            "https://docs.slack.dev/apis/web-api/rate-limits")

    def introspect(self, credential: Credential, ctx: ProviderContext) -> Introspection:
        if credential.kind == "slack_webhook":
            return unverifiable(
                "posting a message is the only way to test a Slack webhook; credreach never posts",
                None, BlastRadius(token_type="incoming webhook", capabilities=(
                    Capability(Action.WRITE, "post messages to the webhook's channel", (), certain=False),),
                    unknowns=("whether the webhook is still active and which channel it posts to",)))
        try:
            return self._token(credential, ctx)
        except (ProviderError, MutationRefused) as exc:
            return unverifiable(f"Slack check failed: {safe_error(exc)}", ctx.http.base_url)

    def _token(self, credential: Credential, ctx: ProviderContext) -> Introspection:
        endpoint = ctx.http.base_url
        headers = {"Authorization": f"Bearer {credential.secret}"}
        resp = ctx.http.request("POST", "/auth.test", headers=headers, post_kind=ReadOnlyPost.SLACK_AUTH_TEST)
        problem = status_problem(resp)
        if problem:
            return unverifiable(f"Slack auth.test: {problem}", endpoint)
        body = _obj(resp.json())
        if not body.get("ok"):
            error = str(body.get("error") or "unknown_error")[:60]
            if error in _INVALID_ERRORS:
                return invalid(f"Slack auth.test answered `{error}`", endpoint)
            return unverifiable(f"Slack auth.test answered `{error}`", endpoint)
        scopes = tuple(s.strip() for s in (resp.header("x-oauth-scopes") or "").split(",") if s.strip())
        team = str(body.get("team") or body.get("team_id") or "?")
        workspace = Resource("workspace", team, None, classify_environment(team))
        user = str(body.get("user") or body.get("user_id") or "app")
        token_type = {"slack_bot_token": "bot token", "slack_user_token": "user token",
                      "slack_app_token": "app-level token"}.get(credential.kind, credential.kind)
        notes = [f"{token_type} for `{user}` in workspace `{team}` ({body.get('url', '')})".strip()]
        if body.get("enterprise_id"):
            notes.append(f"part of Enterprise Grid org {body['enterprise_id']}")
        if body.get("expires_in"):
            notes.append(f"rotating token, expires in {body['expires_in']}s")
        unknowns: list[str] = []
        if not scopes:
            unknowns.append("token scopes (Slack sent no x-oauth-scopes header)")
        channels = _channels(ctx, headers, set(scopes), unknowns)
        caps = _capabilities(set(scopes), workspace, channels)
        if credential.kind == "slack_user_token" and "users:read" in scopes and body.get("user_id"):
            role = _user_role(ctx, headers, str(body["user_id"]))
            if role:
                notes.append(f"the token's user is a workspace {role}")
                caps.append(Capability(Action.ADMIN, f"workspace {role} (user token acts as them)",
                                       (workspace,), certain=False))
        blast = BlastRadius(identity=f"{user}@{team}", token_type=token_type, scopes=scopes,
                            resources=(workspace, *channels), capabilities=tuple(caps),
                            notes=tuple(notes), unknowns=tuple(unknowns))
        return live(f"Slack token live for {user} in {team}", endpoint, blast)


def _channels(ctx: ProviderContext, headers: dict[str, str], scopes: set[str],
              unknowns: list[str]) -> tuple[Resource, ...]:
    types = [t for t, s in (("public_channel", "channels:read"), ("private_channel", "groups:read"))
             if s in scopes]
    if not types:
        unknowns.append("channels reached (listing needs channels:read or groups:read)")
        return ()
    resp = ctx.http.get("/conversations.list", headers=headers,
                        params={"types": ",".join(types), "limit": "200", "exclude_archived": "true"})
    body = _obj(resp.json()) if resp.status == 200 else {}
    if not body.get("ok"):
        unknowns.append("channels reached (conversations.list failed)")
        return ()
    if _obj(body.get("response_metadata")).get("next_cursor"):
        unknowns.append("channels beyond the first 200 were not listed")
    return tuple(Resource("channel", f"#{c.get('name')}", None, classify_environment(str(c.get("name"))))
                 for c in map(_obj, body.get("channels") or []) if c.get("name"))


def _user_role(ctx: ProviderContext, headers: dict[str, str], user_id: str) -> str | None:
    resp = ctx.http.get("/users.info", headers=headers, params={"user": user_id})
    user = _obj(_obj(resp.json()).get("user")) if resp.status == 200 else {}
    for flag, role in (("is_primary_owner", "primary owner"), ("is_owner", "owner"), ("is_admin", "admin")):
        if user.get(flag):
            return role
    return None


def _capabilities(scopes: set[str], workspace: Resource, channels: tuple[Resource, ...]) -> list[Capability]:
    reach = channels or (workspace,)
    caps: list[Capability] = []
    reads = sorted(s for s in scopes if s.endswith((":read", ":history")))
    if reads:
        caps.append(Capability(Action.READ, ", ".join(reads), reach))
    for scope in sorted(scopes):
        if scope in _SCOPE_ACTIONS:
            action, operation = _SCOPE_ACTIONS[scope]
            caps.append(Capability(action, operation, (workspace,) if action is Action.ADMIN else reach))
        elif scope.startswith("admin"):
            caps.append(Capability(Action.ADMIN, f"{scope} (workspace/org administration)", (workspace,)))
    return caps


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


PROVIDER = SlackProvider()
