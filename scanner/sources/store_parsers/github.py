"""GitHub CLI ``hosts.yml`` and git's plain-text ``~/.git-credentials``.

``hosts.yml`` (providers.md §2.2; cli/cli ``internal/config/migration/multi_account.go``): one
mapping per host with ``user``, ``oauth_token`` (only with insecure storage) and, since the
multi-account migration, ``users: {NAME: {oauth_token}}``. Tokens kept in the OS keyring are not
in the file and so not reachable by reading it; nothing to report then.

``.git-credentials`` (git-credential-store): one URL per line,
``https://user:password@host[/path]``, user and password percent-encoded.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from scanner.sources.store_parsers._common import (
    NOWHERE,
    StoreFile,
    StoreFormatError,
    as_str,
    classify_token,
    load_yaml,
)


def _github_kind(token: str) -> tuple[str, str]:
    known = classify_token(token)
    if known and known[0] == "github":
        return known
    # Old 40-hex tokens and unknown shapes stored by gh are still GitHub OAuth tokens.
    return "github", "github_oauth_token"


def parse_gh_hosts(store_file: StoreFile) -> None:
    data, positions = load_yaml(store_file)
    if data is None:
        return
    if not isinstance(data, dict):
        raise StoreFormatError("expected a mapping of hosts")
    for host, entry in data.items():
        if not isinstance(entry, dict):
            continue
        host = str(host)
        active = as_str(entry.get("user"))
        seen: set[str] = set()
        token = as_str(entry.get("oauth_token"))
        if token:
            seen.add(token)
            provider, kind = _github_kind(token)
            store_file.emit(provider, kind, token, positions.get((host, "oauth_token"), NOWHERE),
                            profile=host, companions={"host": host, "user": active})
        users = entry.get("users")
        if not isinstance(users, dict):
            continue
        for user, account in users.items():
            if not isinstance(account, dict):
                continue
            token = as_str(account.get("oauth_token"))
            if not token or token in seen:
                continue
            seen.add(token)
            provider, kind = _github_kind(token)
            store_file.emit(provider, kind, token,
                            positions.get((host, "users", str(user), "oauth_token"), NOWHERE),
                            profile=host, companions={"host": host, "user": str(user)})


def parse_git_credentials(store_file: StoreFile) -> None:
    bad = 0
    offset = 0
    for line in store_file.text.splitlines(keepends=True):
        start = offset
        offset += len(line)
        raw = line.strip()
        if not raw or raw.startswith("#"):
            continue
        try:
            parts = urlsplit(raw)
            host = parts.hostname or ""
            raw_password = parts.password
        except ValueError:
            bad += 1
            continue
        if not raw_password or "@" not in parts.netloc:
            if not host:
                bad += 1
            continue
        password = unquote(raw_password)
        user = unquote(parts.username or "")
        userinfo = parts.netloc.rsplit("@", 1)[0]
        column_in_line = line.find(userinfo) + len(userinfo) - len(raw_password)
        position = store_file.position(start + column_in_line)
        known = classify_token(password)
        provider, kind = known if known else ("generic", "git_credential")
        store_file.emit(provider, kind, password, position, profile=host,
                        companions={"host": host, "user": user, "scheme": parts.scheme})
    if bad:
        store_file.warn(f"{bad} line(s) are not credential URLs")
