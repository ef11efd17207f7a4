"""AWS shared credentials/config files and the CLI's assumed-role cache.

Formats (providers.md §4.2): ``~/.aws/credentials`` sections are profile names; ``~/.aws/config``
uses ``[default]``, ``[profile NAME]``, ``[sso-session NAME]``, ``[services NAME]``. Static keys
may appear in either. The hit's secret is the access key ID (what identifies the credential and
what detectors also find); the secret access key and session token travel as companions.

``credential_process`` runs an arbitrary program and is only reported, never executed; SSO
profiles are noted (their cached tokens are not used).
"""

from __future__ import annotations

from typing import Any

from scanner.sources.store_parsers._common import StoreFile, StoreFormatError, as_str, load_json
from scanner.sources.store_parsers.ini import IniSection, parse_ini

PROVIDER = "aws"
KIND = "aws_access_key"


def _profile_name(section: str, config_file: bool) -> tuple[str, str]:
    """(section type, profile name) for a section header."""
    if config_file:
        head, _, rest = section.partition(" ")
        if head in ("profile", "sso-session", "services") and rest.strip():
            return head, rest.strip()
        return "profile", section  # [default] and tolerated bare names
    return "profile", section


def _parse(store_file: StoreFile, config_file: bool) -> None:
    sections, bad = parse_ini(store_file.text)
    if bad:
        store_file.warn(f"{len(bad)} line(s) not understood (first at line {bad[0]})")
    for section in sections:
        kind, name = _profile_name(section.name, config_file)
        if kind == "profile":
            _profile(store_file, section, name)
        elif kind == "sso-session":
            store_file.warn(f"sso-session `{name}` configured (AWS IAM Identity Center); cached SSO "
                            "tokens are not used by credreach")


def _profile(store_file: StoreFile, section: IniSection, name: str) -> None:
    key_id = section.get("aws_access_key_id")
    secret = section.get("aws_secret_access_key")
    token = section.get("aws_session_token") or section.get("aws_security_token")
    region = section.get("region")
    if key_id and key_id.value:
        companions = {
            "aws_secret_access_key": secret.value if secret else "",
            "aws_session_token": token.value if token else "",
            "profile": name,
            "region": region.value if region else "",
        }
        store_file.emit(PROVIDER, KIND, key_id.value, (key_id.line, key_id.column), profile=name,
                        companions=companions)
        if not secret:
            store_file.warn(f"profile `{name}` has an access key ID but no secret access key")
    elif secret and secret.value:
        store_file.warn(f"profile `{name}` has a secret access key but no access key ID")
    if section.get("credential_process"):
        store_file.warn(f"profile `{name}` sets credential_process (runs a program; credreach never "
                        "executes it, so that credential is not checked)")
    if section.get("sso_session") or section.get("sso_start_url"):
        store_file.warn(f"profile `{name}` uses AWS IAM Identity Center (SSO); its cached tokens are "
                        "not used by credreach")
    if section.get("web_identity_token_file"):
        store_file.warn(f"profile `{name}` reads a web identity token file (not followed)")


def parse_credentials(store_file: StoreFile) -> None:
    _parse(store_file, config_file=False)


def parse_config(store_file: StoreFile) -> None:
    _parse(store_file, config_file=True)


def parse_cli_cache(store_file: StoreFile) -> None:
    """``~/.aws/cli/cache/*.json``: temporary credentials of an assumed role (ASIA... keys)."""
    data: Any = load_json(store_file)
    if not isinstance(data, dict):
        raise StoreFormatError("expected a JSON object")
    creds = data.get("Credentials")
    if not isinstance(creds, dict):
        return
    key_id = as_str(creds.get("AccessKeyId"))
    if not key_id:
        return
    role = data.get("AssumedRoleUser")
    arn = as_str(role.get("Arn")) if isinstance(role, dict) else ""
    companions = {
        "aws_secret_access_key": as_str(creds.get("SecretAccessKey")),
        "aws_session_token": as_str(creds.get("SessionToken")),
        "expiration": as_str(creds.get("Expiration")),
        "assumed_role_arn": arn,
    }
    store_file.emit(PROVIDER, KIND, key_id, store_file.find_json_string(key_id, "AccessKeyId"),
                    profile=arn or None, companions=companions)


def parse_sso_cache(store_file: StoreFile) -> None:
    """``~/.aws/sso/cache/*.json``: IAM Identity Center tokens (providers.md §4.2).

    A token file holds ``accessToken`` (with ``expiresAt``, ``startUrl``, ``region``) and, since the
    SSO OIDC token provider, ``refreshToken`` with the client registration's ``clientId`` and
    ``clientSecret``; a registration file holds ``clientId``/``clientSecret`` only. None of these is
    an access key, so none is sent to STS: they are reported under their own kinds, not verified.
    """
    data: Any = load_json(store_file)
    if not isinstance(data, dict):
        raise StoreFormatError("expected a JSON object")
    start_url = as_str(data.get("startUrl"))
    companions = {"region": as_str(data.get("region")), "client_id": as_str(data.get("clientId"))}
    for key, kind in (("accessToken", "aws_sso_access_token"), ("refreshToken", "aws_sso_refresh_token"),
                      ("clientSecret", "aws_sso_client_secret")):
        value = as_str(data.get(key))
        if value:
            store_file.emit(PROVIDER, kind, value, store_file.find_json_string(value, key),
                            profile=start_url or None, companions=companions)
