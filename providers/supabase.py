"""Supabase: Management API personal access tokens (network) and project keys (decoded offline).

Why split: a ``sbp_`` token talks to ``api.supabase.com`` and lists the projects and organizations it
reaches (same privileges as the user for classic tokens). Project keys belong to a project host
(``<ref>.supabase.co``) found next to them, which credreach never contacts on its own; the legacy
``service_role`` JWT states its role and project in its claims, and ``sb_secret_`` keys are documented
to bypass row-level security, so their blast radius is known without a call. JWT signatures cannot be
checked offline; the notes say so. Reference: shared/reference/providers.md §15.
"""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any

from providers.base import (
    Introspection,
    Provider,
    ProviderContext,
    ProviderError,
    Response,
    classify_environment,
    invalid,
    live,
    status_problem,
    unverifiable,
)
from scanner.model import (
    Action,
    BlastRadius,
    Capability,
    Credential,
    Resource,
    Verification,
    VerificationStatus,
)

_REF_IN_URL = re.compile(r"https?://([a-z0-9]{20})\.supabase\.(?:co|in)\b")
_OFFLINE_HINT = ("project keys are checked only against the project's own host; credreach does not send "
                 "them there (decoded offline)")


class SupabaseProvider(Provider):
    name = "supabase"
    display_name = "Supabase"
    kinds = frozenset({"supabase_access_token", "supabase_secret_key", "supabase_service_role_jwt"})
    default_base_url = "https://api.supabase.com"
    reveals = "PAT: projects and orgs it manages; service_role/secret keys: bypass RLS (decoded offline)"
    docs = (
        "https://supabase.com/docs/reference/api/introduction",
        "https://supabase.com/docs/guides/platform/personal-access-tokens",
        "https://supabase.com/docs/guides/api/api-keys",
    )

    def introspect(self, credential: Credential, ctx: ProviderContext) -> Introspection:
        if credential.kind == "supabase_access_token":
            return self._pat(credential, ctx)
        if credential.kind == "supabase_service_role_jwt":
            return _service_role_jwt(credential)
        return _secret_key(credential)

    def _pat(self, credential: Credential, ctx: ProviderContext) -> Introspection:
        endpoint = ctx.http.base_url
        headers = {"Authorization": f"Bearer {credential.secret}"}
        try:
            projects = ctx.http.get("/v1/projects", headers=headers)
            if projects.status == 401:
                return invalid(f"Supabase rejected the token (HTTP 401: {_message(projects)})", endpoint)
            problem = status_problem(projects)
            if problem:
                return unverifiable(problem, endpoint)
            items = projects.json()
            orgs_response = ctx.http.get("/v1/organizations", headers=headers)
            orgs = orgs_response.json() if orgs_response.status == 200 else []
        except ProviderError as exc:
            return unverifiable(str(exc), endpoint)
        return live("Supabase accepted the token", endpoint, _pat_blast(items, orgs))


def _pat_blast(items: Any, orgs: Any) -> BlastRadius:
    org_names = {str(o.get("id")): str(o.get("name") or o.get("id")) for o in orgs if isinstance(o, dict)} \
        if isinstance(orgs, list) else {}
    resources: list[Resource] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or not item.get("name"):
            continue
        name = str(item["name"])
        org = org_names.get(str(item.get("organization_id")))
        resources.append(Resource("project", name, env_class=classify_environment(name),
                                  parent=f"organization {org}" if org else None))
    res = tuple(resources)
    caps = (
        Capability(Action.READ, "project and database metadata", res),
        Capability(Action.WRITE, "run SQL (database/query), change settings, deploy functions", res,
                   certain=False),
        Capability(Action.DELETE, "project delete, branch delete, database password reset", res,
                   certain=False),
    )
    notes = [f"Reaches {len(res)} project(s) in {len(org_names)} organization(s).",
             "Classic personal access tokens carry the user's full access to every organization, including "
             "projects created later; what the user may delete depends on their organization role."]
    return BlastRadius(identity=None, token_type="personal access token", resources=res,
                       capabilities=caps, notes=tuple(notes),
                       unknowns=("organization role (Owner/Admin/Developer) and whether this is a scoped "
                                 "token: only the dashboard shows it",))


def _service_role_jwt(credential: Credential) -> Introspection:
    claims = _jwt_claims(credential.secret)
    if claims is None:
        return unverifiable("value is not a decodable Supabase JWT")
    exp = claims.get("exp")
    if isinstance(exp, (int, float)) and exp < time.time():
        return Introspection(Verification(VerificationStatus.INVALID,
                                          "the JWT's exp claim is in the past (expired; checked offline)"))
    role = str(claims.get("role") or "?")
    ref = str(claims.get("ref") or "") or _ref_from(credential) or "unknown project"
    project = Resource("project", ref)
    notes = [f"JWT claims: role `{role}`, project ref `{ref}`, issuer `{claims.get('iss')}` (decoded offline; "
             "the signature cannot be checked without the project's JWT secret)."]
    caps: tuple[Capability, ...]
    if role == "service_role":
        caps = (Capability(Action.READ, "select any table (bypasses RLS)", (project,)),
                Capability(Action.DELETE, "delete/update any row (bypasses RLS), storage object delete",
                           (project,)))
        notes.append("service_role bypasses row-level security: full read, write and delete on the "
                     "project's data through the REST API.")
    else:
        caps = (Capability(Action.READ, f"{role} access, subject to RLS policies", (project,), certain=False),)
        notes.append(f"Role `{role}` is a public-facing key: access is limited by RLS policies.")
    return unverifiable(_OFFLINE_HINT, None,
                        BlastRadius(token_type=f"legacy {role} JWT", scopes=(role,), resources=(project,),
                                    capabilities=caps, notes=tuple(notes),
                                    unknowns=("whether the key was rotated (legacy JWT keys are being "
                                              "retired)",)))


def _secret_key(credential: Credential) -> Introspection:
    ref = _ref_from(credential) or "project of this key (unknown ref)"
    project = Resource("project", ref)
    blast = BlastRadius(
        token_type="secret API key", scopes=("secret",), resources=(project,),
        capabilities=(Capability(Action.READ, "select any table (bypasses RLS)", (project,)),
                      Capability(Action.DELETE, "delete/update any row (bypasses RLS)", (project,))),
        notes=("Supabase secret keys (sb_secret_) bypass row-level security: full data access to their "
               "project.",),
        unknowns=("whether the key is still active (only the project's host can tell)",))
    return unverifiable(_OFFLINE_HINT, None, blast)


def _ref_from(credential: Credential) -> str | None:
    for key in ("project_ref", "ref"):
        if credential.companions.get(key):
            return credential.companions[key]
    for key in ("url", "project_url", "SUPABASE_URL"):
        match = _REF_IN_URL.search(credential.companions.get(key) or "")
        if match:
            return match.group(1)
    return None


def _jwt_claims(token: str) -> dict[str, Any] | None:
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return None
    return claims if isinstance(claims, dict) else None


def _message(response: Response) -> str:
    try:
        data = response.json()
    except ProviderError:
        return "no body"
    return str(data.get("message") or "error")[:200] if isinstance(data, dict) else "error"


PROVIDER = SupabaseProvider()
