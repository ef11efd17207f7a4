"""GitHub: who a token belongs to and what it can reach, asked strictly read-only.

Why the flow looks like this (``shared/reference/providers.md`` §2):

* ``GET /user`` answers identity for every user token and, for classic PATs and OAuth tokens, the
  granted scopes in ``X-OAuth-Scopes`` and the expiry in ``github-authentication-token-expiration``.
  Fine-grained PATs and App tokens get no scope header: their write levels can only be learned by
  writing, so they go into ``BlastRadius.unknowns`` and become *possible* capabilities
  (``certain=False``) bounded by the user's own role on each repository. We never write-probe.
* ``GET /user/repos`` (Link-paginated, capped) lists repositories with the user's role
  (``permissions.admin/push/pull``); for classic tokens effective power = role ∧ scopes.
* App installation tokens (``ghs_``) cannot call ``/user``; ``GET /installation/repositories`` lists
  what the installation reaches. App user tokens (``ghu_``) read the installation grant from
  ``GET /user/installations``.
* Refresh tokens (``ghr_``) are never sent: using one rotates it and can log the user out.
* GitHub Enterprise: the secret only goes where ``ctx.http`` is bound (api.github.com or the user's
  ``--endpoint github=https://HOST/api/v3``). A host found next to the token (gh ``hosts.yml``) is
  never contacted on our own initiative.
* GitHub locks out an account after repeated bad-credential attempts, so an invalid token is asked
  exactly once and nothing fans out per repository.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from providers.base import (
    Introspection,
    Provider,
    ProviderContext,
    ProviderError,
    ReadOnlyHttp,
    Response,
    classify_environment,
    invalid,
    live,
    unverifiable,
)
from providers.guard import MutationRefused
from scanner.model import Action, BlastRadius, Capability, Credential, Resource
from scanner.redact import REDACTOR

# --- token format ------------------------------------------------------------------------------

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
CHECKSUM_PREFIXES = ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")


def _base62(value: int) -> str:
    digits = ""
    while value:
        value, rem = divmod(value, 62)
        digits = _BASE62[rem] + digits
    return digits or "0"


def _checksum(random_part: str) -> str:
    return _base62(zlib.crc32(random_part.encode("ascii")) & 0xFFFFFFFF).rjust(6, "0")


def classic_checksum_ok(token: str) -> bool:
    """True when a ``ghp_/gho_/ghu_/ghs_/ghr_`` token carries a valid CRC32/base62 checksum.

    The last six characters are the base62 (``0-9A-Za-z``) encoding of the CRC32 of the random part
    between the 4-character prefix and the checksum, left-padded with ``0``. A failed check means the
    string is not a token GitHub issued (a placeholder, a typo, a test value), so it can be demoted
    offline without sending anything. Fine-grained ``github_pat_`` tokens use an unpublished scheme.
    """
    if not token.startswith(CHECKSUM_PREFIXES) or len(token) < 4 + 6 + 1:
        return False
    random_part, checksum = token[4:-6], token[-6:]
    if not (random_part.isascii() and random_part.isalnum() and checksum.isascii() and checksum.isalnum()):
        return False
    return _checksum(random_part) == checksum


def make_classic_token(prefix: str, random30: str) -> str:
    """Build a checksum-valid token (``prefix`` like ``ghp_``, 30 base62 characters): for fixtures."""
    if prefix not in CHECKSUM_PREFIXES:
        raise ValueError(f"prefix must be one of {CHECKSUM_PREFIXES}")
    if len(random30) != 30 or not (random30.isascii() and random30.isalnum()):
        raise ValueError("random part must be 30 ASCII letters or digits")
    return prefix + random30 + _checksum(random30)


# --- scopes ------------------------------------------------------------------------------------

# Parent scopes imply their children (docs.github.com "Scopes for OAuth apps").
_IMPLIES: dict[str, tuple[str, ...]] = {
    "repo": ("repo:status", "repo_deployment", "public_repo", "repo:invite", "security_events"),
    "admin:org": ("write:org", "read:org"),
    "write:org": ("read:org",),
    "admin:repo_hook": ("write:repo_hook", "read:repo_hook"),
    "write:repo_hook": ("read:repo_hook",),
    "admin:public_key": ("write:public_key", "read:public_key"),
    "write:public_key": ("read:public_key",),
    "admin:gpg_key": ("write:gpg_key", "read:gpg_key"),
    "write:gpg_key": ("read:gpg_key",),
    "admin:ssh_signing_key": ("write:ssh_signing_key", "read:ssh_signing_key"),
    "write:ssh_signing_key": ("read:ssh_signing_key",),
    "write:packages": ("read:packages",),
    "delete:packages": ("read:packages",),
    "user": ("read:user", "user:email", "user:follow"),
    "write:discussion": ("read:discussion",),
    "project": ("read:project",),
    "admin:enterprise": ("manage_runners:enterprise", "manage_billing:enterprise", "read:enterprise"),
    "manage_billing:enterprise": ("read:enterprise",),
    "audit_log": ("read:audit_log",),
    "codespace": ("codespace:secrets",),
}

# Account-level scopes that let the token change something beyond repositories and orgs.
_ACCOUNT_SCOPES: dict[str, tuple[Action, str]] = {
    "admin:public_key": (Action.ADMIN, "can add SSH keys to the account: lasting push access as the user"),
    "write:public_key": (Action.WRITE, "can add SSH keys to the account"),
    "admin:gpg_key": (Action.WRITE, "can add or remove GPG keys"),
    "admin:ssh_signing_key": (Action.WRITE, "can add or remove SSH signing keys"),
    "user": (Action.WRITE, "can change the user profile"),
    "gist": (Action.WRITE, "can create, edit and delete gists"),
    "write:packages": (Action.WRITE, "can publish packages (supply-chain risk)"),
    "delete:packages": (Action.DELETE, "can delete packages"),
    "codespace": (Action.WRITE, "can create and run codespaces"),
    "codespace:secrets": (Action.WRITE, "can change codespace secrets"),
    "write:discussion": (Action.WRITE, "can write team discussions"),
    "project": (Action.WRITE, "can change projects"),
    "admin:enterprise": (Action.ADMIN, "administers the enterprise"),
    "manage_billing:enterprise": (Action.BILLING, "manages enterprise billing"),
    "manage_billing:copilot": (Action.BILLING, "manages Copilot billing"),
    "manage_runners:enterprise": (Action.ADMIN, "manages enterprise self-hosted runners"),
    "site_admin": (Action.ADMIN, "GitHub Enterprise Server site administrator"),
}

MAX_PAGES = 10
"""At 100 items a page: up to 1000 repositories or orgs per list, then we stop and say so."""
MAX_GRANT_CHECKS = 20
"""Public repositories a fine-grained token is asked about (one GET each), at most."""
FINE_GRAINED_DOC = ("https://docs.github.com/authentication/keeping-your-account-and-data-secure/"
                    "managing-your-personal-access-tokens#fine-grained-personal-access-tokens")
_API_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
_TOKEN_TYPES = {
    "github_classic_pat": "classic personal access token",
    "github_oauth_token": "OAuth app token",
    "github_fine_grained_pat": "fine-grained personal access token",
    "github_app_user_token": "GitHub App user-to-server token",
    "github_app_installation_token": "GitHub App installation token",
    "github_refresh_token": "GitHub App refresh token",
    "github_token": "legacy 40-hex token",
}
_PREFIX_KINDS = (
    ("github_pat_", "github_fine_grained_pat"), ("ghp_", "github_classic_pat"),
    ("gho_", "github_oauth_token"), ("ghu_", "github_app_user_token"),
    ("ghs_", "github_app_installation_token"), ("ghr_", "github_refresh_token"),
)
_GITHUB_COM_HOSTS = frozenset({"github.com", "api.github.com", "www.github.com"})


def expand_scopes(scopes: Iterable[str]) -> frozenset[str]:
    """The granted scopes plus everything they imply."""
    result: set[str] = set()
    todo = [s for s in scopes if s]
    while todo:
        scope = todo.pop()
        if scope not in result:
            result.add(scope)
            todo.extend(_IMPLIES.get(scope, ()))
    return frozenset(result)


def parse_scopes(header: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in header.split(",") if s.strip())


def kind_of(credential: Credential) -> str:
    """The token's real kind: the prefix wins over a generic detector's label."""
    return next((kind for prefix, kind in _PREFIX_KINDS if credential.secret.startswith(prefix)),
                credential.kind)


# --- the data we collect -----------------------------------------------------------------------

@dataclass(frozen=True)
class Repo:
    full_name: str
    owner: str
    owner_type: str
    private: bool
    archived: bool
    admin: bool | None
    push: bool | None
    pull: bool | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Repo | None:
        name = data.get("full_name")
        if not isinstance(name, str) or not name:
            return None
        owner = _dict(data.get("owner"))
        perms = data.get("permissions")

        def perm(key: str) -> bool | None:
            if not isinstance(perms, dict):
                return None
            return bool(perms.get(key) or (key == "push" and perms.get("maintain")))

        private = bool(data.get("private")) or data.get("visibility") in ("private", "internal")
        return cls(name, str(owner.get("login") or name.split("/")[0]), str(owner.get("type") or ""),
                   private, bool(data.get("archived")), perm("admin"), perm("push"), perm("pull"))

    def resource(self) -> Resource:
        parent = f"{'organization' if self.owner_type == 'Organization' else 'account'} {self.owner}"
        return Resource("repository", self.full_name, None, classify_environment(self.full_name), parent)


@dataclass
class Findings:
    """What the read-only calls told us, turned into a BlastRadius at the end."""

    identity: str | None = None
    token_type: str | None = None
    scopes: tuple[str, ...] = ()
    resources: list[Resource] = field(default_factory=list)
    capabilities: list[Capability] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unknowns: list[str] = field(default_factory=list)

    def add(self, action: Action, operation: str, resources: Iterable[Resource],
            certain: bool = True, note: str | None = None) -> None:
        reached = tuple(resources)
        if reached:
            self.capabilities.append(Capability(action, operation, reached, certain, None if certain else note))

    def blast(self) -> BlastRadius:
        return BlastRadius(self.identity, self.token_type, self.scopes, tuple(self.resources),
                           tuple(self.capabilities), tuple(REDACTOR.scrub(n) for n in self.notes),
                           tuple(REDACTOR.scrub(u) for u in self.unknowns))


class _Stop(Exception):
    """Ends introspection early with a finished answer (invalid, rate limited, ...)."""

    def __init__(self, result: Introspection) -> None:
        super().__init__("stop")
        self.result = result


# --- the provider ------------------------------------------------------------------------------

class GitHubProvider(Provider):
    name = "github"
    display_name = "GitHub"
    kinds = frozenset(_TOKEN_TYPES)
    default_base_url = "https://api.github.com"
    reveals = ("login, token type, classic scopes and expiry, orgs, repositories with your role; "
               "fine-grained write levels are reported as unknown (never write-probed)")
    docs = (
        "https://docs.github.com/rest/users/users#get-the-authenticated-user",
        "https://docs.github.com/rest/repos/repos#list-repositories-for-the-authenticated-user",
        "https://docs.github.com/rest/orgs/orgs#list-organizations-for-the-authenticated-user",
        "https://docs.github.com/rest/apps/installations#list-repositories-accessible-to-the-app-installation",
        "https://docs.github.com/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps",
        "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api",
        "https://docs.github.com/rest/using-the-rest-api/using-pagination-in-the-rest-api",
    )

    def introspect(self, credential: Credential, ctx: ProviderContext) -> Introspection:
        kind = kind_of(credential)
        if kind == "github_refresh_token":
            return unverifiable("refresh token: using it would rotate it; not checked")
        http = ctx.http
        host = _embedded_host(credential)
        if host and host not in _GITHUB_COM_HOSTS and not ctx.endpoint_overridden:
            # A host read from hosts.yml sits next to the secret: never a destination on its own
            # (not even with --verify-embedded-hosts, which is for hosts inside the credential).
            return unverifiable(
                f"token belongs to GitHub host {host}, not github.com; not sent there. "
                f"To check it, pass --endpoint github={_api_url_for(host)}")
        try:
            if kind == "github_app_installation_token":
                return self._installation(credential, http)
            return self._user_token(credential, kind, http)
        except _Stop as stop:
            return stop.result
        except (ProviderError, MutationRefused) as exc:
            return unverifiable(f"GitHub check failed: {exc}", http.base_url)

    # -- user tokens: classic, OAuth, fine-grained, App user, legacy ---------------------------

    def _user_token(self, credential: Credential, kind: str, http: ReadOnlyHttp) -> Introspection:
        response = _get(http, credential, "/user")
        if response.status == 403 and "not accessible by integration" in _message(response).lower():
            return self._installation(credential, http)
        _raise_for(response, http, "/user")
        user = _object(response)
        found = Findings(identity=str(user.get("login") or "") or None)
        scope_header = response.header("X-OAuth-Scopes")
        _expiry_note(found, response, kind)
        if scope_header is not None and kind not in ("github_fine_grained_pat", "github_app_user_token"):
            found.token_type = _TOKEN_TYPES.get(kind, "token with OAuth scopes")
            found.scopes = parse_scopes(scope_header)
            self._classic(credential, http, found)
        else:
            found.token_type = _TOKEN_TYPES.get(kind, "token without OAuth scopes (fine-grained model)")
            if kind == "github_app_user_token":
                self._app_user(credential, http, found)
            else:
                self._fine_grained(credential, http, found)
        if user.get("site_admin") is True:
            found.notes.append("the user is a site administrator of this GitHub instance")
        return live(f"GitHub accepted the token for {found.identity or 'an unnamed account'}",
                    http.base_url, found.blast())

    def _classic(self, credential: Credential, http: ReadOnlyHttp, found: Findings) -> None:
        scopes = expand_scopes(found.scopes)
        if not found.scopes:
            found.notes.append("classic token with no scopes: reads public data only")
        account = Resource("account", found.identity or "unknown", None, classify_environment(found.identity))
        found.resources.append(account)
        repos = self._repos(credential, http, "/user/repos", found)
        orgs = self._orgs(credential, http, found, with_roles=bool(scopes & {"read:org"}))
        repo_res = {r.full_name: r.resource() for r in repos}
        org_resources = [o for o, _ in orgs]
        found.resources.extend(repo_res.values())
        found.resources.extend(org_resources)

        def on(pred: Callable[[Repo], bool]) -> list[Resource]:
            return [repo_res[r.full_name] for r in repos if pred(r)]

        full = "repo" in scopes
        can_write = "public_repo" in scopes  # `repo` implies it

        def writable(r: Repo) -> bool:
            return can_write and (full or not r.private) and bool(r.push) and not r.archived

        if full:
            found.add(Action.READ, "repo", on(lambda r: True))
        found.add(Action.WRITE, "repo" if full else "public_repo", on(writable))
        found.add(Action.ADMIN, "repo (repository admin: settings, branch protection, collaborators)",
                  on(lambda r: can_write and (full or not r.private) and bool(r.admin)))
        if "workflow" in scopes:
            found.add(Action.WRITE, "workflow", on(writable))
            found.notes.append("`workflow` scope: can change GitHub Actions workflows, i.e. run code in CI "
                               "with the repository's secrets")
        if "delete_repo" in scopes:
            org_admin = {o.name for o, role in orgs if role == "admin"}
            def org_gated(r: Repo) -> bool:
                return r.owner_type == "Organization" and r.owner not in org_admin

            sure = on(lambda r: bool(r.admin) and not org_gated(r))
            maybe = on(lambda r: bool(r.admin) and org_gated(r))
            found.add(Action.DELETE, "delete_repo", sure)
            if sure:
                names = ", ".join(r.name for r in sure[:5]) + (" …" if len(sure) > 5 else "")
                found.notes.append(f"`delete_repo`: can delete {len(sure)} repositories it administers "
                                   f"({names})")
            found.add(Action.DELETE, "delete_repo", maybe, certain=False)
            if maybe:
                found.notes.append(f"{len(maybe)} org repositories are deletable unless their org forbids "
                                   "members to delete repositories (an org setting not readable here)")
        if "admin:repo_hook" in scopes or "write:repo_hook" in scopes:
            action = Action.ADMIN if "admin:repo_hook" in scopes else Action.WRITE
            found.add(action, "admin:repo_hook" if action is Action.ADMIN else "write:repo_hook",
                      on(lambda r: bool(r.admin)))
        for scope, action in (("admin:org", Action.ADMIN), ("write:org", Action.WRITE),
                              ("admin:org_hook", Action.ADMIN), ("manage_runners:org", Action.ADMIN)):
            if scope in scopes and not (scope == "write:org" and "admin:org" in scopes):
                found.add(action, scope, [o for o, role in orgs if role == "admin"])
                found.add(action, scope, [o for o, role in orgs if role is None], certain=False)
        if "read:org" in scopes:
            found.add(Action.READ, "read:org", org_resources)
        for scope in found.scopes:  # as granted: a parent's sentence covers its children
            if scope in _ACCOUNT_SCOPES:
                action, sentence = _ACCOUNT_SCOPES[scope]
                found.add(action, scope, [account])
                found.notes.append(f"`{scope}`: {sentence}")

    def _fine_grained(self, credential: Credential, http: ReadOnlyHttp, found: Findings) -> None:
        listed = self._repos(credential, http, "/user/repos", found)
        repos = self._given(credential, http, listed, found)
        orgs = self._orgs(credential, http, found, with_roles=False)
        found.resources.extend(r.resource() for r in repos)
        found.resources.extend(o for o, _ in orgs)
        found.add(Action.READ, "metadata:read", [r.resource() for r in repos])
        self._possible_from_roles(repos, found, "the token's own permission levels")
        found.unknowns.append(
            f"{found.token_type}: its per-repository permission levels (contents, administration, "
            "workflows, secrets) are not readable without writing; write and admin reach are unknown "
            f"on the {len(repos)} repositories it was given")
        if orgs:
            found.unknowns.append("organization permissions (administration, members) of this token are "
                                  "not readable without writing")

    def _given(self, credential: Credential, http: ReadOnlyHttp, listed: list[Repo],
               found: Findings) -> list[Repo]:
        """The repositories a fine-grained token was given, out of what ``/user/repos`` lists.

        GitHub's docs: a fine-grained token reaches one resource owner's repositories (all or the
        selected ones) and, besides, has read-only access to every public repository, which the list
        shows alongside (FINE_GRAINED_DOC). A private repository listed was given. A public one
        counts only if it belongs to the token's owner and answers a read that needs a grant on that
        repository (``GET /repos/{o}/{r}/collaborators``, Metadata read): public read-only access
        answers 403 there. Nothing is written to find out.
        """
        private = [r for r in listed if r.private]
        owners = {r.owner for r in private}
        owner = next(iter(owners)) if len(owners) == 1 else None
        given = list(private)
        public = [r for r in listed if not r.private]
        elsewhere = [r for r in public if owner is not None and r.owner != owner]
        candidates = [r for r in public if r not in elsewhere and (r.push or r.admin)]
        unchecked = candidates[MAX_GRANT_CHECKS:]
        for repo in candidates[:MAX_GRANT_CHECKS]:
            response = _get(http, credential, f"/repos/{repo.full_name}/collaborators", {"per_page": "1"})
            if response.status == 200:
                given.append(repo)
        not_given = len(public) - (len(given) - len(private)) - len(unchecked)
        if not_given:
            found.notes.append(
                f"{not_given} public repositories GitHub lists beside the token's own are readable by any "
                "fine-grained token and were not given to this one; no write or admin is claimed on them "
                f"({FINE_GRAINED_DOC})")
        if unchecked:
            names = ", ".join(r.full_name for r in unchecked[:5]) + (" …" if len(unchecked) > 5 else "")
            found.unknowns.append(f"whether the token was given {len(unchecked)} more public repositories "
                                  f"you can write to was not checked (limit {MAX_GRANT_CHECKS}): {names}")
        return given

    def _app_user(self, credential: Credential, http: ReadOnlyHttp, found: Findings) -> None:
        response = _get(http, credential, "/user/installations", {"per_page": "100"})
        if response.status != 200:
            found.notes.append(f"could not list App installations (HTTP {response.status})")
            self._fine_grained(credential, http, found)
            return
        installations = _object(response).get("installations")
        for inst in installations if isinstance(installations, list) else []:
            if not isinstance(inst, dict) or not isinstance(inst.get("id"), int):
                continue
            perms = _dict(inst.get("permissions"))
            account = _dict(inst.get("account")).get("login")
            repos = self._repos(credential, http, f"/user/installations/{inst['id']}/repositories", found,
                                key="repositories")
            found.resources.extend(r.resource() for r in repos)
            found.add(Action.READ, "metadata:read", [r.resource() for r in repos])
            app = inst.get("app_slug") or f"installation {inst['id']}"
            found.notes.append(f"App `{app}` on {account or 'an account'} grants: "
                               + ", ".join(f"{k}={v}" for k, v in sorted(perms.items())))
            _app_grant_capabilities(found, perms, repos, f"App `{app}`")
        found.unknowns.append("App user tokens act with the intersection of the App's grant and the user's "
                              "role; effective write reach is inferred, not confirmed")

    def _possible_from_roles(self, repos: list[Repo], found: Findings, why: str) -> None:
        open_by = f"{FINE_GRAINED_DOC} (the token's permission levels are not readable without writing)"
        found.add(Action.WRITE, "contents:write (possible)", [r.resource() for r in repos if r.push],
                  certain=False, note=open_by)
        admins = [r.resource() for r in repos if r.admin]
        found.add(Action.ADMIN, "administration:write (possible)", admins, certain=False, note=open_by)
        found.add(Action.DELETE, "administration:write: repository deletion (possible)", admins,
                  certain=False, note=open_by)
        if admins:
            found.notes.append(f"the user administers {len(admins)} of these repositories; "
                               f"whether this token can too depends on {why}, which GitHub does not reveal "
                               "read-only")

    # -- installation tokens -----------------------------------------------------------------

    def _installation(self, credential: Credential, http: ReadOnlyHttp) -> Introspection:
        found = Findings(identity="GitHub App installation", token_type=_TOKEN_TYPES[
            "github_app_installation_token"])
        repos = self._repos(credential, http, "/installation/repositories", found, key="repositories",
                            first_is_auth=True)
        found.resources.extend(r.resource() for r in repos)
        found.add(Action.READ, "contents:read (listed repositories)", [r.resource() for r in repos])
        found.add(Action.WRITE, "installation permissions (possible)",
                  [r.resource() for r in repos if r.push], certain=False)
        found.add(Action.ADMIN, "administration:write (possible)",
                  [r.resource() for r in repos if r.admin], certain=False)
        found.unknowns.append("the installation's permission set is readable only with the App's own JWT; "
                              "write/admin levels of this token are unknown")
        found.notes.append("installation tokens (also the Actions GITHUB_TOKEN) expire after one hour")
        return live(f"GitHub accepted the installation token ({len(repos)} repositories)", http.base_url,
                    found.blast())

    # -- lists -------------------------------------------------------------------------------

    def _repos(self, credential: Credential, http: ReadOnlyHttp, path: str, found: Findings, *,
               key: str | None = None, first_is_auth: bool = False) -> list[Repo]:
        params = {"per_page": "100"}
        if path == "/user/repos":
            params["affiliation"] = "owner,collaborator,organization_member"
        items = self._paginate(credential, http, path, params, found, "repositories", key, first_is_auth)
        repos = [r for r in (Repo.from_json(i) for i in items if isinstance(i, dict)) if r is not None]
        seen: dict[str, Repo] = {}
        for repo in repos:
            seen.setdefault(repo.full_name, repo)
        return list(seen.values())

    def _orgs(self, credential: Credential, http: ReadOnlyHttp, found: Findings,
              with_roles: bool) -> list[tuple[Resource, str | None]]:
        roles: dict[str, str] = {}
        if with_roles:
            for item in self._paginate(credential, http, "/user/memberships/orgs",
                                       {"per_page": "100", "state": "active"}, found, "org memberships"):
                org = item.get("organization") if isinstance(item, dict) else None
                if isinstance(org, dict) and isinstance(org.get("login"), str):
                    roles[org["login"]] = str(item.get("role") or "")
        logins: list[str] = []
        listed = self._paginate(credential, http, "/user/orgs", {"per_page": "100"}, found, "organizations")
        for item in listed:
            if isinstance(item, dict) and isinstance(item.get("login"), str) and item["login"] not in logins:
                logins.append(item["login"])
        logins.extend(login for login in roles if login not in logins)
        return [(Resource("organization", login, None, classify_environment(login)), roles.get(login) or None)
                for login in logins]

    def _paginate(self, credential: Credential, http: ReadOnlyHttp, path: str, params: Mapping[str, str],
                  found: Findings, what: str, key: str | None = None,
                  first_is_auth: bool = False) -> list[Any]:
        """Follow ``Link: rel="next"`` up to MAX_PAGES, on the bound origin only."""
        items: list[Any] = []
        url: str | None = path
        query: Mapping[str, str] | None = params
        seen: set[str] = set()
        for page in range(MAX_PAGES):
            assert url is not None
            seen.add(url)
            response = _get(http, credential, url, query)
            if page == 0 and first_is_auth:
                _raise_for(response, http, path)
            if response.status != 200:
                problem = _problem(response) or f"HTTP {response.status}"
                found.notes.append(f"could not list {what} ({problem}); the list may be incomplete")
                found.unknowns.append(f"{what} beyond those listed: {problem}")
                return items
            try:
                data = response.json()
            except ProviderError:
                found.notes.append(f"GitHub returned malformed JSON listing {what}")
                return items
            chunk = data.get(key) if key and isinstance(data, dict) else data
            items.extend(chunk if isinstance(chunk, list) else [])
            url = _next_link(response.header("Link"))
            query = None
            if url is None:
                return items
            if urlsplit(url).netloc != urlsplit(http.base_url).netloc or url in seen:
                found.notes.append(f"stopped listing {what}: pagination pointed elsewhere")
                return items
        found.notes.append(f"listed the first {len(items)} {what}; more exist "
                           f"(stopped after {MAX_PAGES} pages)")
        found.unknowns.append(f"{what} beyond the first {len(items)}")
        return items


def _app_grant_capabilities(found: Findings, perms: Mapping[str, Any], repos: list[Repo], who: str) -> None:
    """Turn an App installation permission map into capabilities bounded by the user's role."""
    def write_level(name: str) -> bool:
        return perms.get(name) in ("write", "admin")

    pushable = [r.resource() for r in repos if r.push is not False]
    admins = [r.resource() for r in repos if r.admin is not False]
    certain = all(r.push is not None for r in repos)
    for name, action in (("contents", Action.WRITE), ("workflows", Action.WRITE), ("secrets", Action.WRITE),
                         ("actions", Action.WRITE), ("environments", Action.WRITE)):
        if write_level(name):
            found.add(action, f"{name}:write ({who})", pushable, certain=certain)
    if write_level("administration"):
        found.add(Action.ADMIN, f"administration:write ({who})", admins, certain=certain)
        found.add(Action.DELETE, f"administration:write ({who}): repository deletion", admins, certain=False)


# --- HTTP helpers ------------------------------------------------------------------------------

def _get(http: ReadOnlyHttp, credential: Credential, path: str,
         params: Mapping[str, str] | None = None) -> Response:
    headers = {**_API_HEADERS, "Authorization": f"Bearer {credential.secret}"}
    return http.get(path, headers=headers, params=params)


def _raise_for(response: Response, http: ReadOnlyHttp, path: str) -> None:
    """Turn the answer to the first call into invalid/unverifiable, or return on 2xx."""
    if 200 <= response.status < 300:
        return
    if response.status == 401:
        message = _message(response) or "Bad credentials"
        raise _Stop(invalid(f"GitHub rejected the token on {path} (HTTP 401: {message})", http.base_url))
    problem = _problem(response)
    if problem:
        raise _Stop(unverifiable(problem, http.base_url))
    message = _message(response)
    raise _Stop(unverifiable(f"GitHub answered HTTP {response.status} on {path}"
                             + (f": {message}" if message else ""), http.base_url))


def _problem(response: Response) -> str | None:
    """Rate limits and server errors: the token may be fine, we just cannot tell now."""
    exhausted = response.header("x-ratelimit-remaining") == "0" or bool(response.header("retry-after"))
    if response.status == 429 or (response.status == 403 and (
            exhausted or "rate limit" in _message(response).lower())):
        reset = response.header("x-ratelimit-reset")
        when = f", resets at epoch {reset}" if reset and reset.isdigit() else ""
        return f"rate limited by GitHub (HTTP {response.status}{when}); try again later"
    if response.status >= 500:
        return f"GitHub server error (HTTP {response.status})"
    if response.status == 403 and response.header("X-GitHub-SSO"):
        return "an organization requires SAML SSO authorization for this token (HTTP 403)"
    return None


def _message(response: Response) -> str:
    try:
        data = response.json()
    except ProviderError:
        return ""
    message = data.get("message") if isinstance(data, dict) else None
    if not isinstance(message, str):
        return ""
    return REDACTOR.scrub(message[:160])


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _object(response: Response) -> dict[str, Any]:
    data = response.json()
    if not isinstance(data, dict):
        raise ProviderError("GitHub returned an unexpected JSON shape")
    return data


def _next_link(header: str | None) -> str | None:
    if not header:
        return None
    for part in header.split(","):
        match = _LINK_NEXT.search(part)
        if match:
            return match.group(1)
    return None


def _expiry_note(found: Findings, response: Response, kind: str) -> None:
    expiry = response.header("github-authentication-token-expiration")
    if expiry:
        found.notes.append(f"token expires {expiry}")
    elif kind in ("github_classic_pat", "github_fine_grained_pat"):
        found.notes.append("token has no expiration date")


def _embedded_host(credential: Credential) -> str | None:
    """The GitHub host stored with the token (gh ``hosts.yml`` key, ``GH_HOST``), lower-cased."""
    for key in ("host", "github_host", "gh_host"):
        value = credential.companions.get(key)
        if value:
            text = value.strip().lower()
            if "://" in text:
                text = urlsplit(text).netloc
            return text.split("/")[0].rstrip(".") or None
    return None


def _api_url_for(host: str) -> str:
    """REST base for a non-github.com host: GHE.com uses ``api.<sub>.ghe.com``, GHES ``/api/v3``."""
    if host.endswith(".ghe.com") and not host.startswith("api."):
        return f"https://api.{host}"
    return f"https://{host}/api/v3"


PROVIDER = GitHubProvider()
