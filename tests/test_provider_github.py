"""GitHub provider against a loopback fake of the documented REST API (credreach/fakes/github.py)."""

from __future__ import annotations

import secrets
import string
import zlib

import pytest

from credreach.fakes._server import assert_read_only
from credreach.fakes.github import (
    DEMO_LOGIN,
    DEMO_OAUTH_TOKEN,
    FakeInstallation,
    FakeRepo,
    FakeToken,
    GitHubFake,
    demo_world,
)
from providers.base import HttpSettings, Introspection, ProviderContext, ReadOnlyHttp
from providers.github import (
    MAX_PAGES,
    PROVIDER,
    classic_checksum_ok,
    make_classic_token,
)
from providers.registry import provider_for_kind
from scanner.model import Action, Capability, VerificationStatus
from tests.helpers import context_for, make_credential

ALNUM = string.ascii_letters + string.digits


def rand(n: int) -> str:
    return "".join(secrets.choice(ALNUM) for _ in range(n))


def classic(prefix: str = "ghp_") -> str:
    return make_classic_token(prefix, rand(30))


def fine_grained() -> str:
    return f"github_pat_{rand(22)}_{rand(59)}"


def caps(result: Introspection, action: Action, *, certain: bool | None = None) -> list[Capability]:
    return [c for c in result.blast_radius.capabilities
            if c.action is action and (certain is None or c.certain is certain)]


def reached(result: Introspection, action: Action, *, certain: bool | None = None) -> set[str]:
    return {r.name for c in caps(result, action, certain=certain) for r in c.resources}


def no_secret_leaks(result: Introspection, secret: str) -> None:
    text = repr(result) + " ".join(result.blast_radius.notes + result.blast_radius.unknowns)
    assert secret not in text


def run(fake: GitHubFake, secret: str, kind: str, companions: dict[str, str] | None = None,
        ctx: ProviderContext | None = None) -> Introspection:
    credential = make_credential("github", kind, secret, companions)
    result = PROVIDER.introspect(credential, ctx or context_for(fake.api_url))
    assert_read_only(fake.requests)
    no_secret_leaks(result, secret)
    return result


# --- checksum ----------------------------------------------------------------------------------

def test_generated_token_passes_checksum_and_corruptions_fail() -> None:
    token = make_classic_token("ghp_", rand(30))
    assert len(token) == 40 and classic_checksum_ok(token)
    # The checksum is CRC32 of the random part in base62, computed independently here.
    value, digits = zlib.crc32(token[4:34].encode()), ""
    alphabet = string.digits + string.ascii_uppercase + string.ascii_lowercase
    while value:
        value, rem = divmod(value, 62)
        digits = alphabet[rem] + digits
    assert token[-6:] == digits.rjust(6, "0")
    last = token[-1]
    assert not classic_checksum_ok(token[:-1] + ("A" if last != "A" else "B"))
    flipped = token[:10] + ("x" if token[10] != "x" else "y") + token[11:]
    assert not classic_checksum_ok(flipped)
    assert not classic_checksum_ok("ghp_" + "0" * 36)
    assert not classic_checksum_ok("xyz_" + token[4:])
    assert not classic_checksum_ok(fine_grained())
    for prefix in ("gho_", "ghu_", "ghs_", "ghr_"):
        assert classic_checksum_ok(make_classic_token(prefix, rand(30)))
    with pytest.raises(ValueError):
        make_classic_token("ghp_", "short")


def test_registry_finds_the_provider_for_every_kind() -> None:
    for kind in ("github_classic_pat", "github_fine_grained_pat", "github_oauth_token", "github_token",
                 "github_app_user_token", "github_app_installation_token", "github_refresh_token"):
        assert provider_for_kind(kind) is PROVIDER


# --- classic tokens ----------------------------------------------------------------------------

def test_classic_pat_with_delete_repo_can_delete_admin_repos() -> None:
    token = classic()
    tokens = {token: FakeToken(
        kind="classic", login="alice", scopes=("repo", "delete_repo", "read:org", "admin:org"),
        expiry="2031-01-31 00:00:00 UTC", orgs={"acme": "admin", "other": "member"},
        repos=[FakeRepo("alice/tools", admin=True, push=True),
               FakeRepo("acme/payments-prod", "Organization", admin=True, push=True),
               FakeRepo("other/site-dev", "Organization", push=True),
               FakeRepo("other/readonly", "Organization")])}
    with GitHubFake(tokens) as fake:
        result = run(fake, token, "github_classic_pat")
    assert result.verification.status is VerificationStatus.LIVE
    blast = result.blast_radius
    assert blast.identity == "alice" and blast.token_type == "classic personal access token"
    assert set(blast.scopes) == {"repo", "delete_repo", "read:org", "admin:org"}
    assert reached(result, Action.DELETE, certain=True) == {"alice/tools", "acme/payments-prod"}
    assert reached(result, Action.WRITE) == {"alice/tools", "acme/payments-prod", "other/site-dev"}
    assert reached(result, Action.READ) >= {"other/readonly"}
    assert reached(result, Action.ADMIN, certain=True) >= {"acme", "acme/payments-prod"}
    assert "other" not in reached(result, Action.ADMIN)  # admin:org needs the admin role there
    envs = {r.name: r.env_class.value for r in blast.resources}
    assert envs["acme/payments-prod"] == "production" and envs["other/site-dev"] == "development"
    assert envs["alice/tools"] == "unknown"  # unknown counts as production in policy
    assert any("2031-01-31" in n for n in blast.notes)
    paths = [r.path for r in fake.requests]
    assert paths[0] == "/user" and "/user/repos" in paths and "/user/orgs" in paths
    for request in fake.requests:
        assert request.method == "GET"
        assert request.header("X-GitHub-Api-Version") == "2022-11-28"
        assert request.bearer == token


def test_delete_repo_on_org_repos_is_uncertain_without_org_role() -> None:
    token = classic()
    tokens = {token: FakeToken(kind="classic", login="bob", scopes=("repo", "delete_repo"),
                               orgs={"acme": "member"},
                               repos=[FakeRepo("acme/api", "Organization", admin=True, push=True)])}
    with GitHubFake(tokens) as fake:
        result = run(fake, token, "github_classic_pat")
    assert reached(result, Action.DELETE, certain=False) == {"acme/api"}
    assert reached(result, Action.DELETE, certain=True) == set()
    # No read:org: memberships are not asked for, so the org role stays unknown.
    assert "/user/memberships/orgs" not in [r.path for r in fake.requests]
    assert any("token has no expiration date" in n for n in result.blast_radius.notes)


def test_public_repo_scope_only_writes_public_repos() -> None:
    token = classic()
    tokens = {token: FakeToken(kind="classic", login="carol", scopes=("public_repo",),
                               repos=[FakeRepo("carol/secret", private=True, admin=True, push=True),
                                      FakeRepo("carol/oss", private=False, admin=True, push=True)])}
    with GitHubFake(tokens) as fake:
        result = run(fake, token, "github_classic_pat")
    assert reached(result, Action.WRITE) == {"carol/oss"}
    assert reached(result, Action.DELETE) == set()


def test_legacy_hex_token_with_scope_header_uses_the_scope_model() -> None:
    token = secrets.token_hex(20)
    tokens = {token: FakeToken(kind="legacy", login="dave", scopes=("repo",),
                               repos=[FakeRepo("dave/app", admin=True, push=True)])}
    with GitHubFake(tokens) as fake:
        result = run(fake, token, "github_token")
    assert result.verification.status is VerificationStatus.LIVE
    assert result.blast_radius.scopes == ("repo",)
    assert reached(result, Action.WRITE) == {"dave/app"}


def test_demo_world_oauth_token_reaches_pocketos_with_delete() -> None:
    with GitHubFake(demo_world()) as fake:
        result = run(fake, DEMO_OAUTH_TOKEN, "github_oauth_token", {"host": "github.com"})
    blast = result.blast_radius
    assert blast.identity == DEMO_LOGIN and blast.token_type == "OAuth app token"
    assert {"pocketos/api", "pocketos/infra"} <= reached(result, Action.DELETE, certain=True)
    assert "pocketos/website" not in reached(result, Action.DELETE)
    assert "pocketos" in reached(result, Action.READ)
    assert any("workflow" in c.operation for c in caps(result, Action.WRITE))
    assert classic_checksum_ok(DEMO_OAUTH_TOKEN)


# --- fine-grained, App and refresh tokens -------------------------------------------------------

def test_fine_grained_token_reports_unknowns_and_only_reads() -> None:
    token = fine_grained()
    tokens = {token: FakeToken(kind="fine_grained", login="erin", expiry="2030-06-01 00:00:00 -0800",
                               orgs={"acme": "admin"},
                               repos=[FakeRepo("acme/api", "Organization", admin=True, push=True),
                                      FakeRepo("acme/docs", "Organization", push=True)])}
    with GitHubFake(tokens) as fake:
        result = run(fake, token, "github_fine_grained_pat")
    assert result.verification.status is VerificationStatus.LIVE
    blast = result.blast_radius
    assert blast.token_type == "fine-grained personal access token" and blast.scopes == ()
    assert blast.unknowns and any("not readable without writing" in u for u in blast.unknowns)
    assert reached(result, Action.READ, certain=True) == {"acme/api", "acme/docs"}
    assert caps(result, Action.WRITE, certain=True) == [] and caps(result, Action.ADMIN, certain=True) == []
    assert reached(result, Action.ADMIN, certain=False) == {"acme/api"}
    assert all(r.method == "GET" for r in fake.requests)
    assert "/user/memberships/orgs" not in [r.path for r in fake.requests]


def test_installation_token_lists_installation_repositories() -> None:
    token = classic("ghs_")
    tokens = {token: FakeToken(kind="installation",
                               repos=[FakeRepo(f"acme/svc-{i}", "Organization") for i in range(3)])}
    with GitHubFake(tokens) as fake:
        result = run(fake, token, "github_app_installation_token")
    assert result.verification.status is VerificationStatus.LIVE
    assert reached(result, Action.READ) == {"acme/svc-0", "acme/svc-1", "acme/svc-2"}
    assert result.blast_radius.unknowns
    assert [r.path for r in fake.requests] == ["/installation/repositories"]


def test_unprefixed_installation_token_falls_back_from_user() -> None:
    token = "v1." + secrets.token_hex(20)  # pre-2021 installation token format
    tokens = {token: FakeToken(kind="installation", repos=[FakeRepo("acme/one", "Organization")])}
    with GitHubFake(tokens) as fake:
        result = run(fake, token, "github_token")
    assert result.verification.status is VerificationStatus.LIVE
    assert reached(result, Action.READ) == {"acme/one"}
    assert [r.path for r in fake.requests] == ["/user", "/installation/repositories"]


def test_app_user_token_reads_installation_grant() -> None:
    token = classic("ghu_")
    install = FakeInstallation(7, "deploy-bot", "acme", {"contents": "write", "administration": "write",
                                                         "metadata": "read"},
                               [FakeRepo("acme/api", "Organization", admin=True, push=True),
                                FakeRepo("acme/web", "Organization", push=False)])
    tokens = {token: FakeToken(kind="app_user", login="frank", installations=[install])}
    with GitHubFake(tokens) as fake:
        result = run(fake, token, "github_app_user_token")
    assert result.verification.status is VerificationStatus.LIVE
    assert reached(result, Action.WRITE, certain=True) == {"acme/api"}
    assert reached(result, Action.ADMIN, certain=True) == {"acme/api"}
    assert reached(result, Action.DELETE, certain=False) == {"acme/api"}
    assert any("deploy-bot" in n for n in result.blast_radius.notes)
    assert "/user/installations/7/repositories" in [r.path for r in fake.requests]


def test_refresh_token_is_never_sent() -> None:
    token = make_classic_token("ghr_", rand(30))
    with GitHubFake({}) as fake:
        result = run(fake, token, "github_refresh_token")
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert "rotate" in result.verification.reason
    assert fake.requests == []


# --- failures ----------------------------------------------------------------------------------

def test_bad_credentials_is_invalid_after_one_request() -> None:
    token = classic()
    with GitHubFake({}) as fake:
        result = run(fake, token, "github_classic_pat")
    assert result.verification.status is VerificationStatus.INVALID
    assert "Bad credentials" in result.verification.reason
    assert len(fake.requests) == 1  # no retries: GitHub locks out after repeated bad logins


@pytest.mark.parametrize("mode,status", [("rate_limited", 403), ("rate_limited_429", 429)])
def test_rate_limit_is_unverifiable(mode: str, status: int) -> None:
    token = classic()
    with GitHubFake({token: FakeToken(kind="classic", login="x", scopes=("repo",))}, mode=mode) as fake:
        result = run(fake, token, "github_classic_pat")
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert "rate limited" in result.verification.reason and str(status) in result.verification.reason


def test_server_error_is_unverifiable() -> None:
    token = classic()
    with GitHubFake({token: FakeToken(kind="classic", login="x")}, mode="error") as fake:
        result = run(fake, token, "github_classic_pat")
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert "500" in result.verification.reason


def test_unreachable_endpoint_is_unverifiable() -> None:
    with GitHubFake({}) as fake:
        url = fake.api_url
    # The fake has shut down: nothing listens on that port any more.
    result = PROVIDER.introspect(make_credential("github", "github_classic_pat", classic()),
                                 context_for(url, timeout=2.0))
    assert result.verification.status is VerificationStatus.UNVERIFIABLE


# --- pagination --------------------------------------------------------------------------------

def test_repository_pagination_is_followed() -> None:
    token = classic()
    repos = [FakeRepo(f"big/repo-{i:03d}", push=True) for i in range(250)]
    with GitHubFake({token: FakeToken(kind="classic", login="big", scopes=("repo",), repos=repos)}) as fake:
        result = run(fake, token, "github_classic_pat")
    repo_calls = [r for r in fake.requests if r.path == "/user/repos"]
    assert [r.query.get("page", ["1"])[0] for r in repo_calls] == ["1", "2", "3"]
    assert all(r.query["per_page"] == ["100"] for r in repo_calls)
    assert len(reached(result, Action.WRITE)) == 250


def test_pagination_stops_at_the_cap_and_says_so() -> None:
    token = classic()
    repos = [FakeRepo(f"huge/r{i}") for i in range(MAX_PAGES * 100 + 5)]
    with GitHubFake({token: FakeToken(kind="classic", login="huge", scopes=("repo",), repos=repos)}) as fake:
        result = run(fake, token, "github_classic_pat")
    assert len([r for r in fake.requests if r.path == "/user/repos"]) == MAX_PAGES
    assert any("more exist" in n for n in result.blast_radius.notes)
    assert any("repositories beyond" in u for u in result.blast_radius.unknowns)


# --- GitHub Enterprise -------------------------------------------------------------------------

def test_ghe_host_without_endpoint_is_not_contacted() -> None:
    token = classic()
    with GitHubFake({token: FakeToken(kind="classic", login="x", scopes=("repo",))}) as fake:
        ctx = ProviderContext(http=ReadOnlyHttp(fake.api_url, HttpSettings(timeout=5.0)),
                              endpoint_overridden=False)
        result = run(fake, token, "github_classic_pat", {"host": "ghe.example.com"}, ctx)
        assert fake.requests == []
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert "--endpoint github=https://ghe.example.com/api/v3" in result.verification.reason


def test_ghe_com_host_suggests_its_api_subdomain() -> None:
    with GitHubFake({}) as fake:
        ctx = ProviderContext(http=ReadOnlyHttp(fake.api_url), endpoint_overridden=False)
        result = run(fake, classic(), "github_oauth_token", {"host": "octo.ghe.com"}, ctx)
        assert fake.requests == []
    assert "--endpoint github=https://api.octo.ghe.com" in result.verification.reason


def test_ghes_with_explicit_endpoint_uses_api_v3_and_follows_its_links() -> None:
    token = classic()
    repos = [FakeRepo(f"corp/r{i}", "Organization", push=True) for i in range(150)]
    tokens = {token: FakeToken(kind="classic", login="emp", scopes=("repo", "site_admin"), repos=repos,
                               site_admin=True)}
    with GitHubFake(tokens, prefix="/api/v3") as fake:
        result = run(fake, token, "github_classic_pat", {"host": "ghe.example.com"})
    assert result.verification.status is VerificationStatus.LIVE
    assert result.verification.endpoint == fake.api_url
    assert all(r.path.startswith("/api/v3/") for r in fake.requests)
    assert len([r for r in fake.requests if r.path == "/api/v3/user/repos"]) == 2
    assert len(reached(result, Action.WRITE)) == 150
    assert "emp" in reached(result, Action.ADMIN)  # site_admin scope


def test_fine_grained_claims_nothing_on_public_repositories_it_was_not_given() -> None:
    """GitHub lists every public repository beside a fine-grained token's own (read-only access to
    public repositories); only the selected ones count toward possible admin/delete."""
    token = fine_grained()
    tokens = {token: FakeToken(kind="fine_grained", login="erin", orgs={"acme": "admin"}, repos=[
        FakeRepo("acme/api", "Organization", private=True, admin=True, push=True),
        FakeRepo("acme/site", "Organization", private=False, admin=True, push=True, given=True),
        FakeRepo("acme/blog", "Organization", private=False, admin=True, push=True, given=False),
        FakeRepo("torvalds/linux", "User", private=False, given=False)])}
    with GitHubFake(tokens) as fake:
        result = run(fake, token, "github_fine_grained_pat")
    assert reached(result, Action.ADMIN, certain=False) == {"acme/api", "acme/site"}
    assert "acme/blog" not in reached(result, Action.READ) | reached(result, Action.ADMIN)
    assert any("2 public repositories" in n and "not given" in n for n in result.blast_radius.notes)
    checked = sorted(r.path for r in fake.requests if r.path.endswith("/collaborators"))
    assert checked == ["/repos/acme/blog/collaborators", "/repos/acme/site/collaborators"]
