"""AI coding agents' own logins: an agent running as the user can read its peers' tokens.

Formats (providers.md §7.1, §8.1, §22, §2.2):

- Claude Code ``~/.claude/.credentials.json``: ``{"claudeAiOauth": {"accessToken": "sk-ant-oat01-…",
  "refreshToken": "sk-ant-ort01-…", "expiresAt": <ms>, "scopes": [...], "subscriptionType": …}}``.
- Codex CLI ``~/.codex/auth.json``: ``{"auth_mode", "OPENAI_API_KEY": "sk-…"|null, "tokens":
  {"id_token", "access_token", "refresh_token", "account_id"}, "last_refresh"}``.
- Gemini CLI ``~/.gemini/oauth_creds.json``: Google OAuth ``{"access_token": "ya29.…",
  "refresh_token": "1//…", "scope", "token_type", "id_token", "expiry_date"}``.
- GitHub Copilot ``~/.config/github-copilot/hosts.json`` ``{HOST: {"user", "oauth_token"}}`` and
  ``apps.json`` ``{"HOST:APP_ID": {"user", "oauth_token", "githubAppId"}}``.

OAuth session tokens are never refreshed and have no read-only check here: they are reported under
their own kinds (not verified). An OpenAI API key or a GitHub token keeps the kind its rule gives
it, so that provider verifies it; a GitHub token stored for another host is never sent to github.com.
"""

from __future__ import annotations

from typing import Any

from scanner.sources.store_parsers._common import (
    StoreFile,
    as_str,
    classify_token,
    load_json_object,
)

_object = load_json_object


def _emit(store_file: StoreFile, entry: dict[str, Any], key: str, provider: str, kind: str,
          start: int = 0, profile: str | None = None, companions: dict[str, str] | None = None,
          reclassify: bool = False) -> None:
    value = as_str(entry.get(key))
    if not value:
        return
    if reclassify:
        known = classify_token(value)
        if known:
            provider, kind = known
    store_file.emit(provider, kind, value, store_file.find_json_string(value, key, start), profile=profile,
                    companions=companions)


def parse_claude_credentials(store_file: StoreFile) -> None:
    data = _object(store_file)
    oauth = data.get("claudeAiOauth")
    if not isinstance(oauth, dict):
        return
    start = max(store_file.text.find('"claudeAiOauth"'), 0)
    plan = as_str(oauth.get("subscriptionType"))
    profile = f"claude.ai {plan}".strip()
    _emit(store_file, oauth, "accessToken", "anthropic", "anthropic_oauth_token", start, profile)
    _emit(store_file, oauth, "refreshToken", "anthropic", "anthropic_oauth_refresh_token", start, profile)


def parse_codex_auth(store_file: StoreFile) -> None:
    data = _object(store_file)
    mode = as_str(data.get("auth_mode")) or None
    _emit(store_file, data, "OPENAI_API_KEY", "openai", "openai_user_key", profile=mode, reclassify=True)
    tokens = data.get("tokens")
    if isinstance(tokens, dict):
        start = max(store_file.text.find('"tokens"'), 0)
        account = {"account": as_str(tokens.get("account_id"))}
        _emit(store_file, tokens, "access_token", "openai", "chatgpt_oauth_access_token", start, mode, account)
        _emit(store_file, tokens, "refresh_token", "openai", "chatgpt_oauth_refresh_token", start, mode, account)


def parse_gemini_oauth(store_file: StoreFile) -> None:
    data = _object(store_file)
    _emit(store_file, data, "access_token", "gcp", "gcp_access_token", profile="gemini-cli")
    _emit(store_file, data, "refresh_token", "gcp", "gcp_refresh_token", profile="gemini-cli")


def parse_copilot(store_file: StoreFile) -> None:
    data = _object(store_file)
    for name, entry in data.items():
        if not isinstance(entry, dict):
            continue
        host = str(name).split(":", 1)[0]
        token = as_str(entry.get("oauth_token"))
        if not token:
            continue
        known = classify_token(token)
        if known and known[0] == "github" and host in ("github.com", "api.github.com"):
            provider, kind = known
        else:
            # Unknown shape, or a token for GitHub Enterprise: reported, not sent to github.com.
            provider, kind = "generic", "copilot_oauth_token"
        entry_at = max(store_file.text.find(f'"{name}"'), 0)
        store_file.emit(provider, kind, token, store_file.find_json_string(token, "oauth_token", entry_at),
                        profile=host, companions={"host": host, "user": as_str(entry.get("user"))})
