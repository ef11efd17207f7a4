"""Per-provider allow-lists and the generic refusals in front of every request (issue 12, item 12).

Every request goes through :class:`ReadOnlyHttp` bound to a loopback fake that records what
arrives; a refused call must raise before anything is sent, so the fake's record stays empty
(``fake.requests == []``). Allowed calls are sent for real, so the tests also show the lists do not
refuse what the providers need. The fake answers like any JSON API (it is only a recorder; the
per-provider fakes in ``credreach/fakes`` follow each provider's documented API and are used by
the provider tests, which all run through these same lists).
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from credreach.fakes._server import FakeProvider, FakeResponse, RecordedRequest, assert_read_only
from providers import allowed_calls
from providers.allowed_calls import ALLOWED_CALLS, CallRefused, relative_path
from providers.base import (
    ACTIVE_PROVIDER,
    HttpSettings,
    Introspection,
    NextUrl,
    Provider,
    ProviderContext,
    ReadOnlyHttp,
    invalid,
    paginate,
)
from providers.gitlab import GitLabProvider
from providers.guard import MutationRefused, ReadOnlyPost
from providers.registry import all_providers
from scanner.model import Credential

SECRET = "glpat-Zx9Qm2Lr7Tb4Nc8Vk1Hd"


class Recorder(FakeProvider):
    def handle(self, request: RecordedRequest) -> FakeResponse:
        return FakeResponse(200, {"ok": True})


@pytest.fixture
def fake():  # type: ignore[no-untyped-def]
    with Recorder() as recorder:
        yield recorder
    assert_read_only(recorder.requests)


def client(fake: FakeProvider, base_path: str = "") -> ReadOnlyHttp:
    return ReadOnlyHttp(fake.url + base_path, HttpSettings(timeout=5, retries=0))


def credential() -> Credential:
    return Credential(id="c1", provider="gitlab", kind="gitlab_pat", fingerprint="f1", preview="glpat-…",
                      locations=(), secret=SECRET)


class Scripted(Provider):
    """A provider whose introspect makes the calls a test hands it, under a chosen provider name."""

    name: ClassVar[str] = "gitlab"
    display_name: ClassVar[str] = "scripted"
    kinds: ClassVar[frozenset[str]] = frozenset()
    default_base_url: ClassVar[str] = "http://127.0.0.1:9"
    reveals: ClassVar[str] = "test only"
    calls: ClassVar[list[tuple[str, str, dict[str, Any]]]] = []

    def introspect(self, credential: Credential, ctx: ProviderContext) -> Introspection:
        for method, path, kwargs in self.calls:
            ctx.http.request(method, path, **kwargs)
        return invalid("done", ctx.http.base_url)


def run_as(name: str, http: ReadOnlyHttp, *calls: tuple[str, str, dict[str, Any]]) -> Introspection:
    cls = type(f"Scripted_{name}", (Scripted,), {"name": name, "calls": list(calls)})
    return cls().introspect(credential(), ProviderContext(http=http, endpoint_overridden=True))


# --- generic refusals: no provider needed --------------------------------------------------------

@pytest.mark.parametrize("header", ["X-HTTP-Method-Override", "x-http-method-override", "X-HTTP-Method",
                                    "X-Method-Override", "X-METHOD-OVERRIDE"])
def test_method_override_headers_are_refused(fake: Recorder, header: str) -> None:
    http = client(fake)
    with pytest.raises(CallRefused, match="method override") as caught:
        http.get("/user", headers={header: "DELETE", "Authorization": f"Bearer {SECRET}"})
    assert SECRET not in str(caught.value)
    assert fake.requests == [] and http.sent == []


@pytest.mark.parametrize("how", ["params", "url"])
def test_method_override_parameter_is_refused(fake: Recorder, how: str) -> None:
    http = client(fake)
    with pytest.raises(CallRefused, match="_method"):
        if how == "params":
            http.get("/projects/1", params={"_method": "DELETE"})
        else:
            http.get("/projects/1?_method=DELETE")
    assert fake.requests == []


@pytest.mark.parametrize("document", ["mutation { deleteProject(id: 1) { id } }",
                                      "subscription { events { id } }",
                                      "query q { a } mutation m { b }",
                                      "# comment\nmutation{x}"])
def test_graphql_mutation_in_a_get_query_parameter_is_refused(fake: Recorder, document: str) -> None:
    http = client(fake)
    with pytest.raises(CallRefused, match="GraphQL"):
        http.get("/graphql", params={"query": document})
    with pytest.raises(CallRefused, match="GraphQL"):
        http.request("HEAD", "/graphql", params={"query": document})
    assert fake.requests == []


@pytest.mark.parametrize("action", ["DeleteUser", "CreateAccessKey", "GetSessionToken", "getcalleridentity", ""])
def test_aws_actions_that_are_not_reads_are_refused_in_any_get(fake: Recorder, action: str) -> None:
    http = client(fake)
    with pytest.raises(CallRefused, match="AWS Action"):
        http.get("/", params={"Action": action, "Version": "2010-05-08"})
    with pytest.raises(CallRefused, match="AWS Action"):
        http.get(f"/?Version=2010-05-08&Action={action}")
    assert fake.requests == []


@pytest.mark.parametrize("path", ["/user/../projects/42/variables", "/projects/../user/environments",
                                  "/projects/%2e%2e/environments", "/projects/./environments"])
def test_dot_segments_are_refused(fake: Recorder, path: str) -> None:
    """urllib3 removes dot segments before sending: `/projects/../x` would leave the pattern."""
    http = client(fake)
    with pytest.raises(CallRefused, match="dot segments"):
        http.get(path)
    with pytest.raises(CallRefused, match="dot segments"):
        run_as("gitlab", http, ("GET", path, {}))
    assert fake.requests == []


def test_aws_action_parameter_names_in_any_case_are_checked(fake: Recorder) -> None:
    http = client(fake)
    for key in ("action", "ACTION"):
        with pytest.raises(CallRefused, match="AWS Action"):
            http.get("/", params={key: "DeleteUser"})
    assert fake.requests == []


def test_generic_checks_let_ordinary_reads_through(fake: Recorder) -> None:
    http = client(fake)
    http.get("/search", params={"query": "production database"})  # a search word, not GraphQL
    http.get("/graphql", params={"query": "query { viewer { id } }"})
    http.get("/", params={"Action": "GetCallerIdentity", "Version": "2011-06-15"})
    http.get("/v1/items", headers={"X-Request-Id": "1"})
    assert [r.path for r in fake.requests] == ["/search", "/graphql", "/", "/v1/items"]
    assert fake.requests[0].query == {"query": ["production database"]}


def test_without_an_active_provider_no_path_list_applies(fake: Recorder) -> None:
    """Documented fallback: a client used outside any introspect keeps the guard and generic checks."""
    assert ACTIVE_PROVIDER.get() is None
    http = client(fake)
    http.get("/any/path/at/all")
    with pytest.raises(MutationRefused):
        http.request("DELETE", "/any/path/at/all")
    assert [r.path for r in fake.requests] == ["/any/path/at/all"]


# --- per-provider lists --------------------------------------------------------------------------

def test_every_registered_provider_has_a_list() -> None:
    names = {p.name for p in all_providers()}
    assert names and names <= set(ALLOWED_CALLS), sorted(names - set(ALLOWED_CALLS))
    for name, calls in ALLOWED_CALLS.items():
        for method, pattern in calls:
            assert method in ("GET", "POST") and pattern.startswith("/"), (name, method, pattern)


def test_gitlab_calls_on_its_list_are_sent_under_the_api_base_path(fake: Recorder) -> None:
    http = client(fake, "/api/v4")
    run_as("gitlab", http, ("GET", "/user", {}), ("GET", "/groups", {"params": {"min_access_level": "30"}}),
           ("GET", "/projects/42/protected_branches", {}), ("GET", "/projects/42/environments", {}),
           # a next-page URL: absolute, same path, other query
           ("GET", fake.url + "/api/v4/projects?page=2&per_page=100", {}))
    assert [r.path for r in fake.requests] == [
        "/api/v4/user", "/api/v4/groups", "/api/v4/projects/42/protected_branches",
        "/api/v4/projects/42/environments", "/api/v4/projects"]


@pytest.mark.parametrize("path", ["/projects/42/members", "/projects/42/repository/files/x",
                                  "/projects/42/environments/7/stop",
                                  "/projects", "/user/keys"])
def test_gitlab_paths_not_on_its_list_are_refused(fake: Recorder, path: str) -> None:
    http = client(fake, "/api/v4")
    target = path if path != "/projects" else "/projects/"
    with pytest.raises(CallRefused, match="not on the gitlab allow-list") as caught:
        run_as("gitlab", http, ("GET", target + f"?private_token={SECRET}", {}))
    assert SECRET not in str(caught.value) and "/api/v4" not in str(caught.value)
    assert fake.requests == []


def test_a_post_on_a_get_only_path_is_refused_even_with_a_read_only_body(fake: Recorder) -> None:
    http = client(fake)
    with pytest.raises(MutationRefused):
        run_as("github", http, ("POST", "/user", {"json_body": {"query": "query { viewer { id } }"},
                                                  "post_kind": ReadOnlyPost.GRAPHQL_QUERY}))
    assert fake.requests == []


@pytest.mark.parametrize("method_name", ["chat.delete", "chat.postMessage", "conversations.archive",
                                         "users.admin.setInactive", "files.delete", "auth.revoke"])
def test_slack_methods_not_on_the_read_list_are_refused(fake: Recorder, method_name: str) -> None:
    http = client(fake)
    with pytest.raises(CallRefused, match="Slack API method"):
        run_as("slack", http, ("GET", f"/{method_name}", {"params": {"channel": "C1", "ts": "1"}}))
    assert fake.requests == []


def test_slack_read_methods_are_sent(fake: Recorder) -> None:
    http = client(fake)
    run_as("slack", http, ("GET", "/conversations.list", {"params": {"types": "public_channel"}}),
           ("GET", "/users.info", {"params": {"user": "U1"}}))
    assert [r.path for r in fake.requests] == ["/conversations.list", "/users.info"]


def test_slack_host_is_checked_even_without_an_active_provider() -> None:
    with pytest.raises(CallRefused, match="Slack API method"):
        allowed_calls.check_generic("GET", "https://slack.com/api/chat.delete?channel=C1&ts=1")
    with pytest.raises(CallRefused, match="Slack API method"):
        allowed_calls.check_generic("GET", "https://acme.slack.com/api/admin.users.remove")
    allowed_calls.check_generic("GET", "https://slack.com/api/conversations.list")


def test_a_provider_without_a_list_may_call_nothing(fake: Recorder) -> None:
    http = client(fake)
    with pytest.raises(CallRefused, match="has no list of allowed calls"):
        run_as("brand-new-provider", http, ("GET", "/v1/me", {}))
    assert fake.requests == []


def test_active_provider_is_set_only_while_introspect_runs(fake: Recorder) -> None:
    seen: list[str | None] = []

    class Peek(GitLabProvider):
        def introspect(self, credential: Credential, ctx: ProviderContext) -> Introspection:
            seen.append(ACTIVE_PROVIDER.get())
            raise RuntimeError("provider bug")

    with pytest.raises(RuntimeError):
        Peek().introspect(credential(), ProviderContext(http=client(fake), endpoint_overridden=True))
    assert seen == ["gitlab"] and ACTIVE_PROVIDER.get() is None


def test_a_subclass_without_its_own_introspect_is_still_scoped(fake: Recorder) -> None:
    class Inherits(Scripted):
        calls: ClassVar[list[tuple[str, str, dict[str, Any]]]] = [("GET", "/user/keys", {})]

    cls = Inherits
    assert "introspect" not in cls.__dict__
    with pytest.raises(CallRefused):
        cls().introspect(credential(), ProviderContext(http=client(fake), endpoint_overridden=True))
    assert fake.requests == []


def test_relative_path() -> None:
    assert relative_path("https://gitlab.example/api/v4/projects?page=2", "https://gitlab.example/api/v4") \
        == "/projects"
    assert relative_path("https://gitlab.example/api/v4", "https://gitlab.example/api/v4") == "/"
    assert relative_path("https://gitlab.example/api/v40/x", "https://gitlab.example/api/v4") == "/api/v40/x"
    assert relative_path("https://api.twilio.com/2010-04-01/Accounts.json", "https://api.twilio.com") \
        == "/2010-04-01/Accounts.json"


def test_star_matches_within_one_segment_only() -> None:
    assert allowed_calls.is_allowed("gitlab", "GET", "/projects/42/environments")
    assert allowed_calls.is_allowed("gitlab", "HEAD", "/projects/42/environments")
    assert not allowed_calls.is_allowed("gitlab", "GET", "/projects/42/x/environments")
    assert not allowed_calls.is_allowed("gitlab", "GET", "/projects//environments")
    assert allowed_calls.is_allowed("gcp", "POST", "/v1/projects/shop-prod:testIamPermissions")
    assert not allowed_calls.is_allowed("gcp", "POST", "/v1/projects/shop-prod:setIamPolicy")
    assert not allowed_calls.is_allowed("gcp", "GET", "/v1/projects/shop-prod:testIamPermissions")


class NextLinkElsewhere(FakeProvider):
    """DigitalOcean list shape (https://docs.digitalocean.com/reference/api/digitalocean/#section/
    Introduction/Links-and-Pagination): ``links.pages.next`` is an absolute URL; this one points at a
    path of the same host that no provider may call (a droplet's actions)."""

    def handle(self, request: RecordedRequest) -> FakeResponse:
        return FakeResponse(200, {"droplets": [{"id": 1}], "meta": {"total": 2},
                                  "links": {"pages": {"next": f"{self.url}/v2/droplets/1/actions?page=2"}}})


def test_a_next_page_link_off_the_list_is_not_followed() -> None:
    class Lists(Scripted):
        name: ClassVar[str] = "digitalocean"

        def introspect(self, credential: Credential, ctx: ProviderContext) -> Introspection:
            listing = paginate(ctx.http, "/v2/droplets", NextUrl(("droplets",), ("links", "pages", "next")),
                               what="droplets")
            return invalid(listing.shortfall() or "complete", ctx.http.base_url)

    with NextLinkElsewhere() as fake:
        result = Lists().introspect(credential(), ProviderContext(http=client(fake), endpoint_overridden=True))
        assert [r.path for r in fake.requests] == ["/v2/droplets"]  # the off-list link was never sent
    # The first page is kept; the rest is reported as not followed, never silently dropped.
    assert "not a call credreach makes" in result.verification.reason
    assert "not on the digitalocean allow-list" in result.verification.reason
