"""Cloud and platform CLIs: gcloud, Azure CLI, Terraform, Vercel, doctl, flyctl.

- gcloud (providers.md §22): ``application_default_credentials.json`` and any service-account key
  JSON under ``~/.config/gcloud``. ``authorized_user`` files hold a refresh token (never used, kind
  ``gcp_authorized_user``); ``service_account`` files hold a private key.
- Azure CLI (§23): MSAL's plaintext ``msal_token_cache.json`` (``AccessToken``/``RefreshToken``
  maps of entries with ``secret``), legacy ``accessTokens.json`` (a list with ``accessToken``/
  ``refreshToken``), ``service_principal_entries.json`` (``client_secret``).
- Terraform: ``credentials.tfrc.json`` ``{"credentials": {HOST: {"token": ...}}}`` (terraform
  login docs).
- Vercel (§14): ``auth.json`` ``{"token": ..., "refreshToken"?: ...}``.
- doctl (§13): ``config.yaml`` ``access-token`` and ``auth-contexts: {NAME: TOKEN}``.
- flyctl: ``~/.fly/config.yml`` key ``access_token`` (superfly/flyctl ``internal/config``).
"""

from __future__ import annotations

from typing import Any

from scanner.sources.store_parsers._common import (
    NOWHERE,
    StoreFile,
    StoreFormatError,
    as_str,
    load_json,
    load_json_object,
    load_yaml,
)

_object = load_json_object


# --- Google Cloud ------------------------------------------------------------------------------

def parse_gcloud_json(store_file: StoreFile) -> None:
    data = load_json(store_file)
    if not isinstance(data, dict):
        return  # gcloud keeps other JSON files (caches, survey state); only credential files matter
    kind = as_str(data.get("type"))
    if kind == "service_account":
        raw_key = data.get("private_key")
        key = raw_key if isinstance(raw_key, str) and raw_key.strip() else ""  # exact, not stripped
        if not key:
            store_file.warn("service-account file without private_key")
            return
        email = as_str(data.get("client_email"))
        position = store_file.find_json_string(key[:40], "private_key")
        store_file.emit("gcp", "gcp_service_account_key", key, position, profile=email or None,
                        companions={"client_email": email, "project_id": as_str(data.get("project_id")),
                                    "token_uri": as_str(data.get("token_uri")),
                                    "private_key_id": as_str(data.get("private_key_id")),
                                    "client_id": as_str(data.get("client_id"))})
    elif kind == "authorized_user":
        refresh = as_str(data.get("refresh_token"))
        if not refresh:
            return
        account = as_str(data.get("account"))
        store_file.emit("gcp", "gcp_authorized_user", refresh,
                        store_file.find_json_string(refresh, "refresh_token"), profile=account or None,
                        companions={"client_id": as_str(data.get("client_id")),
                                    "client_secret": as_str(data.get("client_secret")),
                                    "quota_project_id": as_str(data.get("quota_project_id")),
                                    "account": account})
    elif kind in ("external_account", "impersonated_service_account", "external_account_authorized_user"):
        store_file.warn(f"credential of type {kind} (federated/impersonated; not checked)")


# --- Azure -------------------------------------------------------------------------------------

def parse_azure_msal_cache(store_file: StoreFile) -> None:
    data = _object(store_file)
    accounts: dict[str, str] = {}
    raw_accounts = data.get("Account")
    if isinstance(raw_accounts, dict):
        for entry in raw_accounts.values():
            if isinstance(entry, dict):
                accounts[as_str(entry.get("home_account_id"))] = as_str(entry.get("username"))
    for section, kind in (("AccessToken", "azure_access_token"), ("RefreshToken", "azure_refresh_token")):
        entries = data.get(section)
        if not isinstance(entries, dict):
            continue
        section_start = max(store_file.text.find(f'"{section}"'), 0)
        for entry in entries.values():
            if not isinstance(entry, dict):
                continue
            secret = as_str(entry.get("secret"))
            if not secret:
                continue
            username = accounts.get(as_str(entry.get("home_account_id")), "")
            store_file.emit("azure", kind, secret,
                            store_file.find_json_string(secret, None, section_start),
                            profile=username or as_str(entry.get("realm")) or None,
                            companions={"tenant": as_str(entry.get("realm")),
                                        "client_id": as_str(entry.get("client_id")),
                                        "username": username,
                                        "environment": as_str(entry.get("environment")),
                                        "target": as_str(entry.get("target")),
                                        "expires_on": as_str(entry.get("expires_on"))})


def parse_azure_access_tokens(store_file: StoreFile) -> None:
    data = load_json(store_file)
    if not isinstance(data, list):
        raise StoreFormatError("expected a JSON list")
    for entry in data:
        if not isinstance(entry, dict):
            continue
        authority = as_str(entry.get("_authority"))
        user = as_str(entry.get("userId")) or as_str(entry.get("servicePrincipalId"))
        companions = {"tenant": authority.rstrip("/").rsplit("/", 1)[-1] if authority else
                      as_str(entry.get("servicePrincipalTenant")),
                      "client_id": as_str(entry.get("_clientId")), "username": user,
                      "resource": as_str(entry.get("resource")), "expires_on": as_str(entry.get("expiresOn"))}
        for key, kind in (("accessToken", "azure_access_token"), ("refreshToken", "azure_refresh_token")):
            secret = as_str(entry.get(key))
            if secret:
                store_file.emit("azure", kind, secret, store_file.find_json_string(secret, key),
                                profile=user or None, companions=companions)


def parse_azure_service_principals(store_file: StoreFile) -> None:
    data = load_json(store_file)
    if not isinstance(data, list):
        raise StoreFormatError("expected a JSON list")
    for entry in data:
        if not isinstance(entry, dict):
            continue
        secret = as_str(entry.get("client_secret")) or as_str(entry.get("accessToken"))
        if not secret:
            continue
        client = as_str(entry.get("client_id")) or as_str(entry.get("servicePrincipalId"))
        tenant = as_str(entry.get("tenant")) or as_str(entry.get("servicePrincipalTenant"))
        store_file.emit("azure", "azure_client_secret", secret, store_file.find_json_string(secret),
                        profile=client or None, companions={"client_id": client, "tenant": tenant})


# --- Terraform, Vercel, doctl, fly ---------------------------------------------------------------

def parse_terraform_credentials(store_file: StoreFile) -> None:
    creds = _object(store_file).get("credentials")
    if not isinstance(creds, dict):
        return
    for host, entry in creds.items():
        token = as_str(entry.get("token")) if isinstance(entry, dict) else ""
        if token:
            host_at = max(store_file.text.find(f'"{host}"'), 0)
            store_file.emit("terraform", "terraform_cloud_token", token,
                            store_file.find_json_string(token, "token", host_at),
                            profile=str(host), companions={"host": str(host)})


def parse_vercel_auth(store_file: StoreFile) -> None:
    data = _object(store_file)
    token = as_str(data.get("token"))
    if token:
        store_file.emit("vercel", "vercel_token", token, store_file.find_json_string(token, "token"),
                        companions={"expires_at": as_str(data.get("expiresAt"))})
    refresh = as_str(data.get("refreshToken"))
    if refresh:
        store_file.emit("vercel", "vercel_refresh_token", refresh,
                        store_file.find_json_string(refresh, "refreshToken"))


def _yaml_mapping(store_file: StoreFile) -> tuple[dict[Any, Any], dict[Any, Any]]:
    data, positions = load_yaml(store_file)
    if data is None:
        return {}, positions
    if not isinstance(data, dict):
        raise StoreFormatError("expected a YAML mapping")
    return data, positions


def parse_doctl_config(store_file: StoreFile) -> None:
    data, positions = _yaml_mapping(store_file)
    current = as_str(data.get("context")) or "default"
    seen: set[str] = set()
    token = as_str(data.get("access-token"))
    if token:
        seen.add(token)
        store_file.emit("digitalocean", "digitalocean_token", token,
                        positions.get(("access-token",), NOWHERE), profile="default",
                        companions={"context": "default", "current_context": current})
    contexts = data.get("auth-contexts")
    if isinstance(contexts, dict):
        for name, value in contexts.items():
            token = as_str(value)
            if token and token not in seen:
                seen.add(token)
                store_file.emit("digitalocean", "digitalocean_token", token,
                                positions.get(("auth-contexts", str(name)), NOWHERE), profile=str(name),
                                companions={"context": str(name), "current_context": current})


def parse_fly_config(store_file: StoreFile) -> None:
    data, positions = _yaml_mapping(store_file)
    token = as_str(data.get("access_token"))
    if token:
        store_file.emit("fly", "fly_token", token, positions.get(("access_token",), NOWHERE))
