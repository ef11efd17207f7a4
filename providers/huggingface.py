"""Hugging Face: whose token it is, its role, and which repos it can change or delete, read-only.

``GET /api/whoami-v2`` returns the user, their organizations (with ``roleInOrg``) and the token
(``auth.accessToken.role`` = ``read`` | ``write`` | ``fineGrained``; fine-grained tokens list
``global`` permissions and ``scoped`` permissions per entity). A ``write`` token acts with the
user's full rights: create/overwrite/delete the user's repos and those of orgs where they can
write. Repos reached are listed with ``GET /api/{models,datasets,spaces}?author=`` (names only).
"""

from __future__ import annotations

from typing import Any

from providers.base import (
    Introspection,
    LinkHeader,
    Provider,
    ProviderContext,
    ProviderError,
    classify_environment,
    invalid,
    live,
    paginate,
    status_problem,
    unverifiable,
)
from providers.guard import MutationRefused
from scanner.model import Action, BlastRadius, Capability, Credential, Resource
from scanner.redact import safe_error

REPO_KINDS = (("models", "model"), ("datasets", "dataset"), ("spaces", "space"))
MAX_ORGS = 3
_WRITE_ORG_ROLES = {"admin", "write"}


class HuggingFaceProvider(Provider):
    name = "huggingface"
    display_name = "Hugging Face"
    kinds = frozenset({"huggingface_token"})
    default_base_url = "https://huggingface.co"
    reveals = "user, orgs and roles, token role (read/write/fine-grained permissions), repos reached"
    docs = ("https://huggingface.co/docs/hub/security-tokens",
            "https://huggingface.co/docs/huggingface_hub/package_reference/hf_api#huggingface_hub.HfApi.whoami",
            "https://huggingface.co/docs/hub/api")

    def introspect(self, credential: Credential, ctx: ProviderContext) -> Introspection:
        try:
            return _check(credential, ctx)
        except (ProviderError, MutationRefused) as exc:
            return unverifiable(f"Hugging Face check failed: {safe_error(exc)}", ctx.http.base_url)


def _check(credential: Credential, ctx: ProviderContext) -> Introspection:
    endpoint = ctx.http.base_url
    headers = {"Authorization": f"Bearer {credential.secret}"}
    resp = ctx.http.get("/api/whoami-v2", headers=headers)
    if resp.status == 401:
        return invalid("Hugging Face rejected the token (HTTP 401 Invalid credentials)", endpoint)
    if resp.status != 200:
        return unverifiable(f"Hugging Face whoami: {status_problem(resp)}", endpoint)
    me = _obj(resp.json())
    user = str(me.get("name") or "?")
    token = _obj(_obj(me.get("auth")).get("accessToken"))
    role = str(token.get("role") or "unknown")
    orgs = {str(o.get("name")): str(o.get("roleInOrg") or "read")
            for o in map(_obj, me.get("orgs") or []) if o.get("name")}
    notes = [f"token `{token.get('displayName', '?')}` with role `{role}` of {me.get('type', 'user')} `{user}`"]
    notes += [f"member of org `{name}` as {r}" for name, r in orgs.items()]
    unknowns: list[str] = []
    authors = [user, *list(orgs)[:MAX_ORGS]]
    if len(orgs) > MAX_ORGS:
        unknowns.append(f"repos of orgs beyond the first {MAX_ORGS} were not listed")
    repos = {author: _repos(ctx, headers, author, unknowns) for author in authors}
    resources = tuple(r for rs in repos.values() for r in rs)
    caps: list[Capability] = []
    scopes: tuple[str, ...] = (role,)
    if role == "fineGrained":
        scopes, caps = _fine_grained(_obj(token.get("fineGrained")), repos, user)
    else:
        caps.append(Capability(Action.READ, "read repos (incl. private and gated)", resources))
        if role in ("write", "admin"):
            writable = tuple(r for a, rs in repos.items() if a == user or orgs.get(a) in _WRITE_ORG_ROLES
                             for r in rs)
            caps.append(Capability(Action.WRITE, "push to repos, change settings/visibility", writable))
            caps.append(Capability(Action.DELETE, "DELETE /api/repos/delete", writable))
            for org, org_role in orgs.items():
                if org_role == "admin":
                    caps.append(Capability(Action.ADMIN, "org settings and members (user is org admin)",
                                           (Resource("org", org, None, classify_environment(org)),),
                                           certain=False))
    blast = BlastRadius(identity=user, token_type=f"{role} access token", scopes=scopes, resources=resources,
                        capabilities=tuple(caps), notes=tuple(notes), unknowns=tuple(unknowns))
    return live(f"Hugging Face token live for {user} ({role})", endpoint, blast)


def _fine_grained(grants: dict[str, Any], repos: dict[str, tuple[Resource, ...]],
                  user: str) -> tuple[tuple[str, ...], list[Capability]]:
    caps: list[Capability] = []
    scopes: list[str] = [f"global:{p}" for p in grants.get("global") or []]
    for perm in grants.get("global") or []:
        action = Action.BILLING if "inference" in str(perm) else Action.WRITE if "write" in str(perm) \
            else Action.READ
        caps.append(Capability(action, str(perm), (Resource("user", user),)))
    for scoped in map(_obj, grants.get("scoped") or []):
        entity = _obj(scoped.get("entity"))
        kind, name = str(entity.get("type") or "?"), str(entity.get("name") or "?")
        perms = [str(p) for p in scoped.get("permissions") or []]
        scopes += [f"{kind}:{name}:{p}" for p in perms]
        reach = repos.get(name, ()) if kind in ("user", "org") else (
            Resource(kind, name, None, classify_environment(name)),)
        if kind in ("user", "org") and not reach:
            reach = (Resource(kind, name, None, classify_environment(name)),)
        if any(p.endswith(".read") for p in perms):
            caps.append(Capability(Action.READ, ", ".join(p for p in perms if p.endswith(".read")), reach))
        if "repo.write" in perms:
            caps.append(Capability(Action.WRITE, "repo.write (push, settings)", reach))
            caps.append(Capability(Action.DELETE, "DELETE /api/repos/delete (repo.write)", reach))
        if "org.write" in perms:
            caps.append(Capability(Action.ADMIN, "org.write (members, settings)", reach))
        if "inference.endpoints.write" in perms:
            caps.append(Capability(Action.DELETE, "inference.endpoints.write (delete/scale endpoints)", reach))
            caps.append(Capability(Action.BILLING, "inference.endpoints.write (paid endpoints)", reach))
        for perm in perms:
            if perm.endswith(".write") and perm not in ("repo.write", "org.write", "inference.endpoints.write"):
                caps.append(Capability(Action.WRITE, perm, reach))
    return tuple(scopes), caps


def _repos(ctx: ProviderContext, headers: dict[str, str], author: str,
           shortfalls: list[str] | None = None) -> tuple[Resource, ...]:
    """Every repository of ``author``, page by page (the Hub's ``Link: rel="next"`` cursor)."""
    found: list[Resource] = []
    for path, kind in REPO_KINDS:
        listing = paginate(ctx.http, f"/api/{path}", LinkHeader(), what=f"{path} of `{author}`",
                           headers=headers, params={"author": author, "limit": "100"})
        if not listing.ok:
            continue
        if listing.shortfall() and shortfalls is not None:
            shortfalls.append(str(listing.shortfall()))
        for row in map(_obj, listing.items):
            repo_id = str(row.get("id") or row.get("modelId") or "")
            if repo_id:
                found.append(Resource(kind, repo_id, None, classify_environment(repo_id), f"owner {author}"))
    return tuple(found)


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


PROVIDER = HuggingFaceProvider()
