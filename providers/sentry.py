"""Sentry: the token's scopes from the API root, and the organizations it reaches.

Calls (getsentry/sentry ``src/sentry/api/endpoints/index.py``; Sentry API docs "Authentication";
shared/reference/providers.md §20):

* ``GET /api/0/`` with ``Authorization: Bearer <token>`` → ``{"version": "0", "auth": {"scopes": [...]},
  "user": {...}}`` — the scopes the token carries; an unknown token → 401 ``{"detail": "Invalid token"}``;
* ``GET /api/0/organizations/`` → ``[{"slug", "name", ...}]`` for the reach.

Organization tokens (``sntrys_``) carry base64 JSON (``iat``, ``url``, ``region_url``, ``org``): the
organization and the Sentry URL are known offline. A token minted by a self-hosted Sentry is only
sent to that server with ``--verify-embedded-hosts`` or ``--endpoint sentry=URL``.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from providers.base import (
    Introspection,
    LinkHeader,
    Provider,
    ProviderContext,
    ProviderError,
    ReadOnlyHttp,
    classify_environment,
    invalid,
    live,
    paginate,
    status_problem,
    unverifiable,
)
from providers.guard import MutationRefused
from scanner.model import Action, BlastRadius, Capability, Credential, Resource

DEFAULT_URL = "https://sentry.io"
SENTRY_HOSTS = ("https://sentry.io", "https://us.sentry.io", "https://de.sentry.io")


def org_token_payload(token: str) -> dict[str, Any] | None:
    """The JSON inside an ``sntrys_`` token, or None when it does not decode."""
    if not token.startswith("sntrys_"):
        return None
    body = token[len("sntrys_"):]
    encoded = body.rsplit("_", 1)[0]
    try:
        data = json.loads(base64.b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def scope_action(scope: str) -> Action | None:
    resource, _, level = scope.partition(":")
    if scope == "org:admin" or resource == "member" and level == "admin":
        return Action.ADMIN
    if level == "admin":  # project:admin, team:admin, event:admin: delete projects, teams, issues
        return Action.DELETE
    if level in ("write", "releases", "ci"):
        return Action.WRITE
    if level == "read":
        return Action.READ
    return None


SCOPE_NOTES = {
    "org:admin": "org:admin: can delete the organization `{o}` and manage its members",
    "project:admin": "project:admin: can delete projects in `{o}`",
    "team:admin": "team:admin: can delete teams in `{o}`",
    "event:admin": "event:admin: can delete issues and events in `{o}`",
    "member:admin": "member:admin: can remove and add members in `{o}`",
}


class SentryProvider(Provider):
    name = "sentry"
    display_name = "Sentry"
    kinds = frozenset({"sentry_user_token", "sentry_org_token"})
    default_base_url = DEFAULT_URL
    other_default_urls = SENTRY_HOSTS[1:]
    reveals = "token scopes (org/project/team/member/event admin), user, organizations reached"
    docs = ("https://docs.sentry.io/api/auth/",
            "https://github.com/getsentry/sentry/blob/master/src/sentry/api/endpoints/index.py")

    def introspect(self, credential: Credential, ctx: ProviderContext) -> Introspection:
        token = credential.secret.strip()
        payload = org_token_payload(token) if credential.kind == "sentry_org_token" else None
        org_slug = str(payload.get("org")) if payload and payload.get("org") else None
        token_url = str(payload.get("url") or "").rstrip("/") if payload else ""
        offline = BlastRadius(identity=f"organization {org_slug}" if org_slug else None,
                              token_type="organization token" if credential.kind == "sentry_org_token"
                              else "user auth token",
                              resources=(self._org(org_slug),) if org_slug else ())
        if ctx.endpoint_overridden:
            http = ctx.http
        elif token_url and token_url not in SENTRY_HOSTS:
            if not ctx.allow_embedded_hosts:
                return unverifiable(f"token was issued by a self-hosted Sentry ({token_url}); pass "
                                    "--verify-embedded-hosts or --endpoint sentry=URL", blast=offline)
            http = ReadOnlyHttp(token_url, ctx.http.settings)
        else:
            http = ctx.http
        try:
            return self._introspect(http, token, org_slug, offline)
        except ProviderError as exc:
            return unverifiable(str(exc), http.base_url, offline)
        except MutationRefused as exc:
            return unverifiable(f"request refused by the read-only guard: {exc}", http.base_url, offline)

    @staticmethod
    def _org(slug: str, name: str | None = None) -> Resource:
        return Resource("sentry organization", slug, environment=slug,
                        env_class=classify_environment(f"{slug} {name or ''}"))

    def _introspect(self, http: ReadOnlyHttp, token: str, org_slug: str | None,
                    offline: BlastRadius) -> Introspection:
        headers = {"Authorization": f"Bearer {token}"}
        root = http.get("/api/0/", headers=headers)
        if root.status == 401:
            return invalid("Sentry rejected the token (401)", http.base_url)
        problem = status_problem(root)
        if problem:
            return unverifiable(problem, http.base_url, offline)
        data = root.json()
        auth = data.get("auth") if isinstance(data, dict) else None
        if not isinstance(auth, dict):
            return invalid("Sentry did not recognise the token (no auth in the API root)", http.base_url)
        scopes = tuple(sorted(str(s) for s in auth.get("scopes") or []))
        user = data.get("user") if isinstance(data.get("user"), dict) else None
        identity = (user.get("email") or user.get("username")) if user else offline.identity

        orgs: list[Resource] = []
        notes: list[str] = []
        if org_slug:
            orgs.append(self._org(org_slug))
        else:
            listing = paginate(http, "/api/0/organizations/", LinkHeader(), what="organizations",
                               headers=headers)
            if listing.ok:
                if listing.shortfall():
                    notes.append(str(listing.shortfall()))
                for item in listing.items:
                    if isinstance(item, dict) and item.get("slug"):
                        orgs.append(self._org(str(item["slug"]), str(item.get("name") or "")))
        capabilities: list[Capability] = []
        for scope in scopes:
            action = scope_action(scope)
            if action is None:
                continue
            capabilities.append(Capability(action, scope, tuple(orgs)))
            if scope in SCOPE_NOTES:
                for org in orgs or [Resource("sentry organization", "?")]:
                    notes.append(SCOPE_NOTES[scope].format(o=org.name))
        if orgs:
            notes.append("reaches " + ", ".join(f"`{o.name}`" for o in orgs))
        blast = BlastRadius(identity=str(identity) if identity else None, token_type=offline.token_type,
                            scopes=scopes, resources=tuple(orgs), capabilities=tuple(capabilities),
                            notes=tuple(notes))
        return live(f"Sentry token valid with {len(scopes)} scopes", http.base_url, blast)


PROVIDER = SentryProvider()
