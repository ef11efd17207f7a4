"""npm: whose registry token it is and whether it can publish the packages they maintain.

``GET /-/whoami`` names the user. ``GET /-/npm/v1/tokens`` (where the account allows it without a
one-time password) lists the account's tokens; the found token is matched by its key (SHA-512 of
the token) or its masked prefix, giving read-only vs publish, automation (2FA bypass), CIDR limits
and, for granular tokens, package scopes. ``GET /-/v1/search?text=maintainer:<user>`` lists the
packages the user maintains: a publish token can push a new version of each (a supply-chain
compromise). An ``.npmrc`` line ties a token to one registry; it is sent only to the default
registry or to the URL the user set with ``--endpoint npm=...``, never to another host.
"""

from __future__ import annotations

import fnmatch
import hashlib
from typing import Any
from urllib.parse import urlsplit

from providers.base import (
    Introspection,
    Provider,
    ProviderContext,
    ProviderError,
    classify_environment,
    invalid,
    live,
    status_problem,
    unverifiable,
)
from providers.guard import MutationRefused
from scanner.model import Action, BlastRadius, Capability, Credential, Resource
from scanner.redact import safe_error

DEFAULT_HOST = "registry.npmjs.org"


class NpmProvider(Provider):
    name = "npm"
    display_name = "npm registry"
    kinds = frozenset({"npm_token"})
    default_base_url = "https://registry.npmjs.org"
    reveals = "username, token type (read-only/publish/automation/granular), packages maintained"
    docs = ("https://docs.npmjs.com/cli/commands/npm-whoami", "https://docs.npmjs.com/cli/commands/npm-token",
            "https://github.com/npm/registry/blob/main/docs/REGISTRY-API.md",
            "https://docs.npmjs.com/about-access-tokens")

    def introspect(self, credential: Credential, ctx: ProviderContext) -> Introspection:
        refusal = _registry_refusal(credential.companions.get("registry"), ctx)
        if refusal:
            return unverifiable(refusal)
        try:
            return _check(credential, ctx)
        except (ProviderError, MutationRefused) as exc:
            return unverifiable(f"npm check failed: {safe_error(exc)}", ctx.http.base_url)


def _registry_refusal(registry: str | None, ctx: ProviderContext) -> str | None:
    """Why the token must not be sent, or None when its registry is ours to ask."""
    if not registry:
        return None
    url = ("https:" + registry) if registry.startswith("//") else registry
    url = url if "://" in url else "https://" + url
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host == DEFAULT_HOST:
        return None  # the default registry, or the URL the user explicitly put in its place
    bound = urlsplit(ctx.http.base_url)
    if ctx.endpoint_overridden and (host, parts.port) == ((bound.hostname or "").lower(), bound.port):
        return None
    return (f"token is configured for registry {host or registry!r}; it is only sent there when you pass "
            f"--endpoint npm={parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}")


def _check(credential: Credential, ctx: ProviderContext) -> Introspection:
    endpoint = ctx.http.base_url
    headers = {"Authorization": f"Bearer {credential.secret}"}
    resp = ctx.http.get("/-/whoami", headers=headers)
    if resp.status == 401:
        return invalid("npm registry rejected the token (HTTP 401); classic tokens were revoked "
                       "by npm in December 2025", endpoint)
    if resp.status != 200:
        return unverifiable(f"npm whoami: {status_problem(resp)}", endpoint)
    username = str(_obj(resp.json()).get("username") or "?")
    notes = [f"token of npm user `{username}`"]
    unknowns: list[str] = []
    token = _own_token(ctx, headers, credential.secret, unknowns)
    packages = _maintained(ctx, headers, username)
    readonly: bool | None = None
    token_type = "npm token"
    scopes: tuple[str, ...] = ()
    writable = packages
    if token is not None:
        readonly = bool(token.get("readonly"))
        token_type = "read-only token" if readonly else "automation token" if token.get("automation") \
            else "publish token"
        if token.get("name") or token.get("permissions"):
            token_type = "granular access token"
        perms = [_obj(p) for p in token.get("permissions") or []]
        if perms:
            readonly = not any(p.get("action") == "write" for p in perms)
            scopes = tuple(f"{p.get('name')}:{p.get('action')}" for p in perms)
        patterns = [str(_obj(s).get("name")) for s in token.get("scopes") or [] if _obj(s).get("name")]
        if patterns:
            writable = tuple(r for r in packages if any(fnmatch.fnmatch(r.name, pat) for pat in patterns))
            scopes += tuple(f"package:{pat}" for pat in patterns)
        if token.get("cidr_whitelist") or token.get("cidr"):
            notes.append(f"usable only from {token.get('cidr_whitelist') or token.get('cidr')}")
        if token.get("expiry"):
            notes.append(f"expires {token['expiry']}")
        if token.get("automation") or token.get("bypass_2fa"):
            notes.append("bypasses two-factor authentication on publish")
        else:
            unknowns.append("whether publishing also needs a 2FA one-time password (account setting)")
    else:
        unknowns.append("whether this token can publish (read-only or publish) could not be read")
    notes.append(f"user maintains {len(packages)} package(s)")
    caps = [Capability(Action.READ, "install packages, incl. private ones", packages)]
    if readonly is not True and writable:
        certain = readonly is False
        caps.append(Capability(Action.WRITE, "npm publish (new versions, dist-tags)", writable, certain=certain))
        caps.append(Capability(Action.DELETE, "npm unpublish / deprecate", writable, certain=False))
    blast = BlastRadius(identity=username, token_type=token_type, scopes=scopes, resources=packages,
                        capabilities=tuple(caps), notes=tuple(notes), unknowns=tuple(unknowns))
    return live(f"npm token live for {username}", endpoint, blast)


def _own_token(ctx: ProviderContext, headers: dict[str, str], secret: str,
               unknowns: list[str]) -> dict[str, Any] | None:
    resp = ctx.http.get("/-/npm/v1/tokens", headers=headers, params={"perPage": "100"})
    if resp.status != 200:
        why = "a one-time password" if "otp" in (resp.header("www-authenticate") or "").lower() \
            else f"HTTP {resp.status}"
        unknowns.append(f"token list refused ({why}); token type not read")
        return None
    digest = hashlib.sha512(secret.encode()).hexdigest()
    rows = [_obj(r) for r in _obj(resp.json()).get("objects") or []]
    exact = [r for r in rows if r.get("key") == digest]
    if exact:
        return exact[0]
    matches = [r for r in rows if _masked_match(str(r.get("token") or ""), secret)]
    return matches[0] if len(matches) == 1 else None


def _masked_match(masked: str, secret: str) -> bool:
    for ellipsis in ("…", "..."):
        if ellipsis in masked:
            head, _, tail = masked.partition(ellipsis)
            return len(head) >= 4 and secret.startswith(head) and secret.endswith(tail)
    return False


def _maintained(ctx: ProviderContext, headers: dict[str, str], username: str) -> tuple[Resource, ...]:
    resp = ctx.http.get("/-/v1/search", headers=headers, params={"text": f"maintainer:{username}", "size": "250"})
    if resp.status != 200:
        return ()
    names = [str(_obj(_obj(o).get("package")).get("name") or "") for o in _obj(resp.json()).get("objects") or []]
    return tuple(Resource("package", n, None, classify_environment(n)) for n in names if n)


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


PROVIDER = NpmProvider()
