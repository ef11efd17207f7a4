"""Package-registry and container-registry logins: ``~/.npmrc``, ``~/.pypirc``, ``~/.docker/config.json``.

- npm (providers.md §10): ``//registry.npmjs.org/:_authToken=npm_...``; ``_authToken`` without a
  registry applies to the default registry; ``${NPM_TOKEN}`` means the token is in the environment.
  A token for another registry is reported as ``npm_registry_token`` so that it is never sent to
  registry.npmjs.org.
- PyPI: distutils INI, ``password = pypi-...`` under a repository section (``username = __token__``).
- Docker (§11): ``auths.<registry>.auth`` is base64 ``username:password``; the password is a
  Docker PAT (``dckr_pat_``), another provider's token (a ``ghp_`` for ghcr.io), or a registry
  password. ``credsStore``/``credHelpers`` name helper programs that are never run.
"""

from __future__ import annotations

import base64
import binascii
import re

from scanner.sources.store_parsers._common import (
    StoreFile,
    StoreFormatError,
    as_str,
    classify_token,
    load_json,
)
from scanner.sources.store_parsers.ini import parse_ini

NPM_DEFAULT_REGISTRY = "registry.npmjs.org"
_NPM_LINE = re.compile(r"^\s*(?P<key>[^=;#\s][^=]*?)\s*=\s*(?P<value>.*?)\s*$")
_ENV_REF = re.compile(r"^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$")


def _unquote(value: str) -> tuple[str, int]:
    """Value without surrounding quotes, and how many characters were dropped at the front."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1], 1
    return value, 0


def _b64(value: str) -> str | None:
    try:
        return base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


def parse_npmrc(store_file: StoreFile) -> None:
    usernames: dict[str, str] = {}
    entries: list[tuple[str, str, str, int]] = []
    offset = 0
    for line in store_file.text.splitlines(keepends=True):
        start = offset
        offset += len(line)
        match = _NPM_LINE.match(line.rstrip("\r\n"))
        if not match:
            continue
        key = match.group("key")
        value, shift = _unquote(match.group("value"))
        registry, _, setting = key.rpartition(":") if key.startswith("//") else ("", "", key)
        registry = registry.strip("/").rstrip("/") or NPM_DEFAULT_REGISTRY
        if setting == "username":
            usernames[registry] = value
        elif setting in ("_authToken", "_auth", "_password"):
            entries.append((registry, setting, value, start + match.start("value") + shift))
    for registry, setting, value, value_offset in entries:
        if not value:
            continue
        if _ENV_REF.match(value):
            store_file.warn(f"{setting} for {registry} comes from the environment ({value}); scan the "
                            "environment to see it")
            continue
        position = store_file.position(value_offset)
        companions = {"registry": registry, "username": usernames.get(registry, "")}
        if setting == "_authToken":
            known = classify_token(value)
            if known:
                provider, kind = known
            elif registry == NPM_DEFAULT_REGISTRY:
                provider, kind = "npm", "npm_token"
            else:
                provider, kind = "npm", "npm_registry_token"
            store_file.emit(provider, kind, value, position, profile=registry, companions=companions)
        elif setting == "_auth":
            decoded = _b64(value)
            if decoded is None or ":" not in decoded:
                store_file.warn(f"_auth for {registry} is not base64 user:password")
                continue
            user, _, password = decoded.partition(":")
            store_file.emit("npm", "npm_password", password, position, profile=registry,
                            companions={"registry": registry, "username": user})
        else:
            plain = _b64(value)
            if plain is None:
                store_file.warn(f"_password for {registry} is not base64")
                continue
            store_file.emit("npm", "npm_password", plain, position, profile=registry,
                            companions=companions)


def parse_pypirc(store_file: StoreFile) -> None:
    sections, bad = parse_ini(store_file.text)
    if bad:
        store_file.warn(f"{len(bad)} line(s) not understood (first at line {bad[0]})")
    for section in sections:
        password = section.get("password")
        if section.name == "distutils" or not password or not password.value:
            continue
        username = section.get("username")
        repository = section.get("repository")
        value, shift = _unquote(password.value)
        known = classify_token(value)
        kind = known[1] if known and known[0] == "pypi" else "pypi_password"
        store_file.emit("pypi", kind, value, (password.line, password.column + shift),
                        profile=section.name,
                        companions={"repository": repository.value if repository else "",
                                    "username": username.value if username else ""})


def parse_docker_config(store_file: StoreFile) -> None:
    data = load_json(store_file)
    if not isinstance(data, dict):
        raise StoreFormatError("expected a JSON object")
    helper = as_str(data.get("credsStore"))
    if helper:
        store_file.warn(f"credentials are kept by the helper docker-credential-{helper} (never run)")
    helpers = data.get("credHelpers")
    if isinstance(helpers, dict) and helpers:
        names = ", ".join(f"{reg}: docker-credential-{as_str(h)}" for reg, h in sorted(helpers.items()))
        store_file.warn(f"registry credential helpers configured (never run): {names}")
    auths = data.get("auths")
    if auths is None:
        return
    if not isinstance(auths, dict):
        raise StoreFormatError("`auths` is not an object")
    auths_start = max(store_file.text.find('"auths"'), 0)
    for registry, entry in auths.items():
        if not isinstance(entry, dict):
            continue
        registry = str(registry)
        entry_start = max(store_file.text.find(f'"{registry}"', auths_start), auths_start)
        auth = as_str(entry.get("auth"))
        if auth:
            decoded = _b64(auth)
            if decoded is None or ":" not in decoded:
                store_file.warn(f"auth for {registry} is not base64 username:password")
            else:
                username, _, password = decoded.partition(":")
                known = classify_token(password)
                if known:
                    provider, kind = known
                else:
                    provider, kind = "docker", "docker_registry_auth"
                store_file.emit(provider, kind, password,
                                store_file.find_json_string(auth, "auth", entry_start),
                                profile=registry, companions={"registry": registry, "username": username})
        identity = as_str(entry.get("identitytoken"))
        if identity:
            store_file.emit("docker", "docker_identity_token", identity,
                            store_file.find_json_string(identity, "identitytoken", entry_start),
                            profile=registry, companions={"registry": registry})
