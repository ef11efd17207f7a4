"""Build tools, package managers and storage CLIs that keep a login in the home directory.

Formats (each from the tool's own documentation):

- Cargo ``~/.cargo/credentials.toml`` (and the older ``credentials``): ``[registry] token = "..."``
  for crates.io, ``[registries.NAME] token = "..."`` for others
  (doc.rust-lang.org/cargo/reference/config.html#credentials).
- Maven ``~/.m2/settings.xml``: ``<servers><server><id/><username/><password/><passphrase/>``
  (maven.apache.org/settings.html). ``{...}`` values are encrypted with the master password of
  ``settings-security.xml`` (maven.apache.org/guides/mini/guide-encryption.html).
- Gradle ``~/.gradle/gradle.properties``: Java properties; keys whose name ends in password,
  token, key or secret (docs.gradle.org/current/userguide/build_environment.html).
- pip ``pip.conf``: INI; ``index-url``/``extra-index-url`` with ``user:password@``
  (pip.pypa.io/en/stable/topics/configuration/).
- RubyGems ``~/.gem/credentials``: YAML ``:rubygems_api_key: KEY`` and ``HOST: KEY``
  (guides.rubygems.org/command-reference/#gem-signin).
- Composer ``auth.json``: ``http-basic``, ``github-oauth``, ``gitlab-token``, ``gitlab-oauth``,
  ``bitbucket-oauth``, ``bearer`` (getcomposer.org/doc/articles/authentication-for-private-packages.md).
- NuGet ``NuGet.Config``: ``<packageSourceCredentials><SOURCE><add key="ClearTextPassword" value=".."/>``;
  ``Password`` is DPAPI-encrypted (learn.microsoft.com/nuget/reference/nuget-config-file).
- rclone ``rclone.conf``: INI per remote; ``pass``/``password`` are only obscured (reversible),
  S3 ``access_key_id``/``secret_access_key``, ``token`` (OAuth JSON), ``client_secret``, ``key``,
  ``account_key``, ``sas_url`` (rclone.org/docs/#config-file).
- s3cmd ``~/.s3cfg``: ``[default] access_key``, ``secret_key``, ``host_base`` (s3tools.org/kb/item14.htm).
- boto ``~/.boto``: ``[Credentials] aws_access_key_id``, ``aws_secret_access_key``,
  ``gs_access_key_id``, ``gs_secret_access_key``, ``gs_oauth2_refresh_token``
  (boto.readthedocs.io/en/latest/boto_config_tut.html).

A value that another rule recognises as a whole (an ``AKIA`` key, a ``ghp_`` token) keeps that
rule's provider and kind, so the provider that knows it verifies it; anything else is reported
under the generic provider (listed, never verified).
"""

from __future__ import annotations

import re
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import tomllib

from scanner.detect.filters import placeholder_reason
from scanner.sources.store_parsers._common import (
    NOWHERE,
    Position,
    StoreFile,
    StoreFormatError,
    as_str,
    classify_token,
    load_json,
    load_yaml,
)
from scanner.sources.store_parsers.ini import IniSection, parse_ini

_ENV_REF = re.compile(r"^\$\{?[A-Za-z_][A-Za-z0-9_.]*\}?$|^\$\{env\.[^}]+\}$")


def _kind(value: str, fallback: str, provider: str = "generic") -> tuple[str, str]:
    known = classify_token(value)
    return known if known else (provider, fallback)


def _emit(store_file: StoreFile, value: str, fallback: str, position: Position, *, provider: str = "generic",
          profile: str | None = None, companions: dict[str, str] | None = None) -> None:
    value = value.strip()
    if not value:
        return
    if _ENV_REF.match(value):
        store_file.warn(f"a {fallback} comes from the environment ({value}); scan the environment to see it")
        return
    found_provider, kind = _kind(value, fallback, provider)
    # A free-form password field: placeholders (`changeme`, `<your-token>`, `${VAR}`) are not credentials.
    reason = placeholder_reason(value) if found_provider == "generic" else None
    store_file.emit(found_provider, kind, value, position, profile=profile, companions=companions,
                    filtered_by=reason)


def _sections(store_file: StoreFile) -> list[IniSection]:
    sections, bad = parse_ini(store_file.text)
    if bad:
        store_file.warn(f"{len(bad)} line(s) not understood (first at line {bad[0]})")
    return sections


# --- Cargo -------------------------------------------------------------------------------------

def parse_cargo_credentials(store_file: StoreFile) -> None:
    try:
        data = tomllib.loads(store_file.text)
    except (tomllib.TOMLDecodeError, RecursionError, ValueError):
        raise StoreFormatError("not valid TOML") from None
    entries: list[tuple[str, Any]] = [("crates.io", data.get("registry"))]
    registries = data.get("registries")
    if isinstance(registries, dict):
        entries.extend((str(name), entry) for name, entry in registries.items())
    for name, entry in entries:
        token = as_str(entry.get("token")) if isinstance(entry, dict) else ""
        if token:
            _emit(store_file, token, "cargo_registry_token", store_file.find(token), profile=name,
                  companions={"registry": name})


# --- Maven, NuGet (XML) ------------------------------------------------------------------------

def _xml(store_file: StoreFile) -> ET.Element:
    head = store_file.text[:4096].upper()
    if "<!DOCTYPE" in head or "<!ENTITY" in store_file.text.upper():
        raise StoreFormatError("has a DOCTYPE/ENTITY declaration (not expanded; not parsed)")
    try:
        # Undecodable bytes arrive as lone surrogates; expat needs encodable text.
        return ET.fromstring(store_file.text.encode("utf-8", "replace"))
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else "?"
        raise StoreFormatError(f"not valid XML (problem at line {line})") from None
    except (ValueError, LookupError, RecursionError):  # an unknown or multi-byte declared encoding
        raise StoreFormatError("not valid XML") from None


def _local(tag: object) -> str:
    text = tag if isinstance(tag, str) else ""
    return text.rsplit("}", 1)[-1]


def _children(element: ET.Element, name: str) -> Iterator[ET.Element]:
    return (child for child in element if _local(child.tag) == name)


def _child_text(element: ET.Element, name: str) -> str:
    for child in _children(element, name):
        return (child.text or "").strip()
    return ""


def parse_maven_settings(store_file: StoreFile) -> None:
    root = _xml(store_file)
    for servers in _children(root, "servers"):
        for server in _children(servers, "server"):
            server_id = _child_text(server, "id")
            username = _child_text(server, "username")
            for field in ("password", "passphrase"):
                value = _child_text(server, field)
                if not value:
                    continue
                if value.startswith("{") and value.endswith("}"):
                    store_file.warn(f"server `{server_id}` {field} is encrypted with the Maven master "
                                    "password (settings-security.xml); reported as lower risk")
                    kind = "maven_encrypted_password"
                else:
                    kind = "maven_password"
                start = max(store_file.text.find(f"<{field}>"), 0)
                id_at = store_file.text.find(f"<id>{server_id}</id>")
                _emit(store_file, value, kind, store_file.find(value, max(id_at, 0) if id_at >= 0 else start),
                      profile=server_id or None, companions={"server": server_id, "username": username})


def parse_nuget_config(store_file: StoreFile) -> None:
    root = _xml(store_file)
    for creds in _children(root, "packageSourceCredentials"):
        for source in creds:
            name = _local(source.tag)
            values = {as_str(add.get("key")).lower(): as_str(add.get("value")) for add in _children(source, "add")}
            username = values.get("username", "")
            clear = values.get("cleartextpassword", "")
            if clear:
                source_at = max(store_file.text.find(f"<{name}"), 0)
                _emit(store_file, clear, "nuget_password", store_file.find(clear, source_at), profile=name,
                      companions={"server": name, "username": username})
            elif values.get("password"):
                store_file.warn(f"package source `{name}` password is DPAPI-encrypted (Windows user key); "
                                "not reported")


# --- Gradle ------------------------------------------------------------------------------------

_PROPERTY = re.compile(r"^\s*(?P<key>[^=:\s#!][^=:\s]*)\s*[=:\s]\s*(?P<value>.*?)\s*$")
_SECRET_NAME = re.compile(r"(?i)(password|passwd|pwd|token|secret|apikey|api_key|key)$")


def parse_gradle_properties(store_file: StoreFile) -> None:
    offset = 0
    for line in store_file.text.split("\n"):
        start = offset
        offset += len(line) + 1
        stripped = line.lstrip()
        if not stripped or stripped[0] in "#!":
            continue
        match = _PROPERTY.match(line.rstrip("\r"))
        if not match or not _SECRET_NAME.search(match.group("key")):
            continue
        key = match.group("key")
        value = match.group("value")
        if not value or value.lower() in ("true", "false"):
            continue
        _emit(store_file, value, "gradle_property_secret", store_file.position(start + match.start("value")),
              profile=key)


# --- pip ---------------------------------------------------------------------------------------

def parse_pip_conf(store_file: StoreFile) -> None:
    for section in _sections(store_file):
        for key in ("index-url", "extra-index-url", "index_url", "extra_index_url"):
            entry = section.get(key)
            if entry is None:
                continue
            for url_at, url in _words(entry.value):
                parts = urllib.parse.urlsplit(url)
                if not parts.password:
                    continue
                password = urllib.parse.unquote(parts.password)
                raw_at = url.find(":" + parts.password + "@")
                column = entry.column + url_at + (raw_at + 1 if raw_at >= 0 else 0)
                host = parts.hostname or ""
                _emit(store_file, password, "pip_index_password", (entry.line, column), profile=host or None,
                      companions={"host": host, "username": urllib.parse.unquote(parts.username or "")})


def _words(value: str) -> Iterator[tuple[int, str]]:
    for match in re.finditer(r"\S+", value):
        yield match.start(), match.group(0)


# --- RubyGems ----------------------------------------------------------------------------------

def parse_gem_credentials(store_file: StoreFile) -> None:
    data, positions = load_yaml(store_file)
    if data is None:
        return
    if not isinstance(data, dict):
        raise StoreFormatError("expected a YAML mapping")
    for key, value in data.items():
        name = str(key).lstrip(":")
        secret = as_str(value)
        if not secret:
            continue
        host = "rubygems.org" if name == "rubygems_api_key" else name
        _emit(store_file, secret, "rubygems_api_key", positions.get((key,), NOWHERE),
              provider="rubygems" if host == "rubygems.org" else "generic", profile=host,
              companions={"host": host})


# --- Composer ----------------------------------------------------------------------------------

def parse_composer_auth(store_file: StoreFile) -> None:
    data = load_json(store_file)
    if not isinstance(data, dict):
        raise StoreFormatError("expected a JSON object")
    for section, fallback in (("http-basic", "composer_http_password"), ("github-oauth", "github_oauth_token"),
                              ("gitlab-token", "gitlab_token"), ("gitlab-oauth", "gitlab_oauth_token"),
                              ("bitbucket-oauth", "bitbucket_oauth_secret"), ("bearer", "composer_bearer_token")):
        entries = data.get(section)
        if not isinstance(entries, dict):
            continue
        section_at = max(store_file.text.find(f'"{section}"'), 0)
        for host, entry in entries.items():
            host = str(host)
            username = ""
            if isinstance(entry, dict):
                username = as_str(entry.get("username")) or as_str(entry.get("consumer-key"))
                secret = (as_str(entry.get("password")) or as_str(entry.get("token"))
                          or as_str(entry.get("consumer-secret")))
            else:
                secret = as_str(entry)
            if not secret:
                continue
            # A token without a known prefix is reported, never sent to a public API as a guess.
            known = classify_token(secret)
            kind_provider, kind = known if known else ("generic", fallback)
            store_file.emit(kind_provider, kind, secret, store_file.find_json_string(secret, None, section_at),
                            profile=host, companions={"host": host, "username": username})


# --- rclone ------------------------------------------------------------------------------------

_RCLONE_SECRETS = ("pass", "password", "password2", "secret_access_key", "token", "client_secret", "key",
                   "account_key", "sas_url", "bearer_token", "session_token", "api_key", "service_account_credentials")


def parse_rclone_conf(store_file: StoreFile) -> None:
    if store_file.text.lstrip().startswith("RCLONE_ENCRYPT_V0:"):
        store_file.warn("rclone configuration is encrypted (password needed); not read")
        return
    for section in _sections(store_file):
        remote = section.name
        kind_of = section.get("type")
        remote_type = kind_of.value if kind_of else ""
        key_id = section.get("access_key_id")
        secret = section.get("secret_access_key")
        if key_id and key_id.value and classify_token(key_id.value) == ("aws", "aws_access_key"):
            store_file.emit("aws", "aws_access_key", key_id.value, (key_id.line, key_id.column), profile=remote,
                            companions={"aws_secret_access_key": secret.value if secret else "",
                                        "profile": remote})
            skip = {"secret_access_key"}
        else:
            skip = set()
        for name in _RCLONE_SECRETS:
            entry = section.get(name)
            if entry is None or name in skip or not entry.value.strip():
                continue
            _emit(store_file, entry.value, f"rclone_{name}", (entry.line, entry.column), profile=remote,
                  companions={"server": remote_type})
            if name in ("pass", "password", "password2"):
                store_file.warn(f"remote `{remote}` {name} is only obscured by rclone (reversible)")


# --- s3cmd, boto -------------------------------------------------------------------------------

def _aws_pair(store_file: StoreFile, section: IniSection, id_key: str, secret_key: str, fallback: str,
              profile: str, extra: dict[str, str]) -> None:
    key_id = section.get(id_key)
    secret = section.get(secret_key)
    if key_id and key_id.value.strip():
        value = key_id.value.strip()
        is_aws = classify_token(value) == ("aws", "aws_access_key") and "aws" in fallback
        provider, kind = ("aws", "aws_access_key") if is_aws else ("generic", fallback)
        store_file.emit(provider, kind, value, (key_id.line, key_id.column), profile=profile,
                        companions={"aws_secret_access_key" if is_aws else "secret_key":
                                    secret.value.strip() if secret else "", **extra})
    elif secret and secret.value.strip():
        _emit(store_file, secret.value, fallback.replace("access_key", "secret_key"),
              (secret.line, secret.column), profile=profile)


def parse_s3cfg(store_file: StoreFile) -> None:
    for section in _sections(store_file):
        host = section.get("host_base")
        host_base = host.value.strip() if host else "s3.amazonaws.com"
        on_aws = host_base.endswith("amazonaws.com")
        _aws_pair(store_file, section, "access_key", "secret_key", "aws_s3cfg_access_key" if on_aws
                  else "s3_compatible_access_key", section.name, {"host": host_base})
        token = section.get("access_token")
        if token and token.value.strip():
            _emit(store_file, token.value, "s3cfg_access_token", (token.line, token.column), profile=section.name)


def parse_boto(store_file: StoreFile) -> None:
    for section in _sections(store_file):
        if section.name.lower() != "credentials":
            continue
        _aws_pair(store_file, section, "aws_access_key_id", "aws_secret_access_key", "aws_boto_access_key",
                  "boto", {})
        _aws_pair(store_file, section, "gs_access_key_id", "gs_secret_access_key", "gcs_hmac_access_key",
                  "boto", {})
        refresh = section.get("gs_oauth2_refresh_token")
        if refresh and refresh.value.strip():
            _emit(store_file, refresh.value, "gcp_refresh_token", (refresh.line, refresh.column), profile="boto")
