"""Railway CLI ``~/.railway/config.json`` (and ``config-staging.json`` / ``config-dev.json``).

Format (providers.md §1.3, railwayapp/cli ``src/config.rs``): camelCase JSON with ``user.token``
(legacy session / API token), ``user.accessToken`` + ``user.refreshToken`` (OAuth, CLI scopes are
admin-level) and ``projects`` linking local directories to project/environment IDs. The refresh
token is reported under its own kind so nothing ever uses it (Railway revokes the whole grant
on reuse of a rotated refresh token).
"""

from __future__ import annotations

import json
import os
from typing import Any

from scanner.sources.store_parsers._common import StoreFile, StoreFormatError, as_str, load_json

PROVIDER = "railway"

_FIELDS = (
    ("token", "railway_account_token"),
    ("accessToken", "railway_oauth_token"),
    ("refreshToken", "railway_refresh_token"),
)


def _linked_projects(projects: Any) -> str:
    """A compact JSON list of linked directories -> project/environment (IDs are not secrets)."""
    if not isinstance(projects, dict):
        return ""
    linked = []
    for directory, entry in projects.items():
        if not isinstance(entry, dict):
            continue
        linked.append({
            "path": as_str(entry.get("projectPath")) or str(directory),
            "name": as_str(entry.get("name")),
            "project": as_str(entry.get("project")),
            "environment": as_str(entry.get("environment")),
            "environmentName": as_str(entry.get("environmentName")),
            "service": as_str(entry.get("service")),
        })
    return json.dumps(linked, sort_keys=True) if linked else ""


def _railway_host(path: str) -> str:
    """The Railway deployment the CLI config belongs to (``RAILWAY_ENV`` picks the file)."""
    name = os.path.basename(path)
    if name == "config-staging.json":
        return "railway-staging.com"
    if name == "config-dev.json":
        return "railway-develop.com"
    return "railway.com"


def parse(store_file: StoreFile) -> None:
    data = load_json(store_file)
    if not isinstance(data, dict):
        raise StoreFormatError("expected a JSON object")
    user = data.get("user")
    if user is None:
        return
    if not isinstance(user, dict):
        raise StoreFormatError("`user` is not an object")
    user_start = max(store_file.text.find('"user"'), 0)
    common = {
        "user_id": as_str(user.get("id")),
        "token_expires_at": as_str(user.get("tokenExpiresAt")),
        "linked_projects": _linked_projects(data.get("projects")),
        "host": _railway_host(store_file.path),
    }
    for key, kind in _FIELDS:
        value = as_str(user.get(key))
        if not value:
            continue
        position = store_file.find_json_string(value, key, user_start)
        store_file.emit(PROVIDER, kind, value, position, profile=common["host"],
                        companions=common)
