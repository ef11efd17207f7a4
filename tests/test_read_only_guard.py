"""The read-only guard refuses every mutating request before anything reaches a provider.

Each refusal is exercised through :class:`ReadOnlyHttp` bound to a recording loopback fake, and
the fake proves nothing arrived (``fake.requests == []``). Allowed reads are sent for real, so the
tests also show the guard is not refusing everything. The last test proves the suite-wide
conftest check: a test during which a fake received a mutating request fails even when the test
itself forgot to look.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from credreach.fakes._server import FakeProvider, FakeResponse, RecordedRequest, assert_read_only, is_mutating
from providers.base import HttpSettings, ProviderContext, ReadOnlyHttp
from providers.guard import AWS_READ_ACTIONS, MutationRefused, ReadOnlyPost, graphql_operation_types
from tests.conftest import PROJECT_ROOT


class Recorder(FakeProvider):
    def handle(self, request: RecordedRequest) -> FakeResponse:
        return FakeResponse(200, {"data": {"ok": True}})


@pytest.fixture
def fake():  # type: ignore[no-untyped-def]
    with Recorder() as recorder:
        yield recorder
    assert_read_only(recorder.requests)


def client(fake: Recorder) -> ReadOnlyHttp:
    return ReadOnlyHttp(fake.url, HttpSettings(timeout=5, retries=0))


# --- verbs ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["DELETE", "PUT", "PATCH", "delete", "Put", "OPTIONS", "TRACE", "CONNECT",
                                    "PROPFIND", "POST"])
def test_non_read_verbs_are_refused(fake: Recorder, method: str) -> None:
    http = client(fake)
    with pytest.raises(MutationRefused):
        http.request(method, "/v1/volumes/vol-1", json_body={"confirm": True})
    assert fake.requests == [] and http.sent == []


def test_reads_are_sent(fake: Recorder) -> None:
    http = client(fake)
    assert http.get("/user").status == 200
    assert http.request("HEAD", "/user").status == 200
    assert [r.method for r in fake.requests] == ["GET", "HEAD"]


# --- GraphQL -------------------------------------------------------------------------------------

REFUSED_DOCUMENTS = {
    "mutation": 'mutation { volumeDelete(volumeId: "v") }',
    "named mutation": "mutation Drop($id: String!) { volumeDelete(volumeId: $id) }",
    "subscription": "subscription { deploymentLogs(deploymentId: \"d\") { message } }",
    "anonymous query then mutation": "{ me { id } } mutation { projectDelete(id: \"p\") }",
    "query then mutation": "query A { me { id } }\nmutation B { projectDelete(id: \"p\") }",
    "fragment then mutation": "fragment F on User { id }\nmutation { userDelete }",
    "mutation after variables": "query Q($x: Int) { a(n: $x) } mutation { b }",
    "mutation after a comment": "# just a query\nmutation { serviceDelete(id: \"s\") }",
    "mutation after commas": ",,, mutation { serviceDelete(id: \"s\") }",
    "mutation after a BOM": "\ufeffmutation { serviceDelete(id: \"s\") }",
    "mutation after a string with a brace": 'query Q($v: String = "}") { a } mutation { b }',
    "mutation after an escaped block quote": 'query { a(s: """ \\""" """) } mutation { b }',
    "unterminated string hiding a mutation": 'query { a } " mutation { b }',
    "unterminated block string": 'query { a } """ mutation { b }',
    "extra closing brace": "query { a }} mutation { b }",
    "unclosed selection": "query { a ",
    "capitalised keyword": "Mutation { b }",
    "empty": "",
    "only a comment": "# query { me { id } }",
}

ALLOWED_DOCUMENTS = {
    "query": "query { me { id } }",
    "anonymous": "{ me { id } }",
    "string containing mutation": 'query { search(text: "mutation { projectDelete }") { id } }',
    "comment containing mutation": "query { me { id } } # mutation { projectDelete }",
    "block string containing mutation": 'query { a(s: """mutation { b }""") }',
    "query named mutation": "query mutation { me { id } }",
    "field named mutation": "query { mutation subscription { id } }",
    "query with fragment": "query { me { ...F } }\nfragment F on User { id }",
    "escaped quote in string": 'query { a(s: "\\" } mutation { b }") }',
    "variables and directives": "query Q($x: Boolean!) @cached(ttl: 5) { me { id @include(if: $x) } }",
}


@pytest.mark.parametrize("name", list(REFUSED_DOCUMENTS))
def test_graphql_mutations_and_subscriptions_are_refused(fake: Recorder, name: str) -> None:
    http = client(fake)
    with pytest.raises(MutationRefused):
        http.graphql("/graphql", REFUSED_DOCUMENTS[name])
    assert fake.requests == []


@pytest.mark.parametrize("name", list(ALLOWED_DOCUMENTS))
def test_graphql_queries_are_sent(fake: Recorder, name: str) -> None:
    http = client(fake)
    assert http.graphql("/graphql", ALLOWED_DOCUMENTS[name]).status == 200
    (sent,) = fake.requests
    assert sent.json()["query"] == ALLOWED_DOCUMENTS[name]
    assert not is_mutating(sent)


def test_lexer_agrees_with_the_fake_on_every_document() -> None:
    """The fakes' mutation detector uses the same lexer: refusals and detections cannot drift apart."""
    for document in REFUSED_DOCUMENTS.values():
        ops = graphql_operation_types(document)
        assert not ops or any(op not in ("query", "fragment") for op in ops), document
    for document in ALLOWED_DOCUMENTS.values():
        assert all(op in ("query", "fragment") for op in graphql_operation_types(document)), document


@pytest.mark.parametrize("body", [None, {}, {"query": None}, {"query": ["mutation { b }"]}, "mutation { b }",
                                  {"mutation": "{ b }"}])
def test_graphql_post_without_a_query_document_is_refused(fake: Recorder, body: object) -> None:
    http = client(fake)
    with pytest.raises(MutationRefused):
        http.request("POST", "/graphql", json_body=body, post_kind=ReadOnlyPost.GRAPHQL_QUERY)
    assert fake.requests == []


# --- AWS Query actions ------------------------------------------------------------------------------

@pytest.mark.parametrize("action", ["CreateAccessKey", "DeleteUser", "GetSessionToken", "AssumeRole",
                                    "GenerateCredentialReport", "PutUserPolicy", "getcalleridentity",
                                    "GetCallerIdentity ", "", None])
def test_aws_actions_off_the_allow_list_are_refused(fake: Recorder, action: str | None) -> None:
    http = client(fake)
    form = {"Version": "2011-06-15"} | ({"Action": action} if action is not None else {})
    with pytest.raises(MutationRefused):
        http.request("POST", "/", form=form, post_kind=ReadOnlyPost.AWS_QUERY_READ)
    assert fake.requests == []


def test_aws_read_actions_are_sent(fake: Recorder) -> None:
    http = client(fake)
    for action in sorted(AWS_READ_ACTIONS):
        http.request("POST", "/", form={"Action": action, "Version": "2010-05-08"},
                     post_kind=ReadOnlyPost.AWS_QUERY_READ)
    assert {r.form()["Action"] for r in fake.requests} == AWS_READ_ACTIONS


@pytest.mark.parametrize("kind,path", [
    (ReadOnlyPost.SLACK_AUTH_TEST, "/api/chat.postMessage"),
    (ReadOnlyPost.SLACK_AUTH_TEST, "/api/auth.revoke"),
    (ReadOnlyPost.KUBERNETES_SELF_SUBJECT_REVIEW, "/api/v1/namespaces/default/pods"),
    (ReadOnlyPost.KUBERNETES_SELF_SUBJECT_REVIEW, "/apis/authorization.k8s.io/v1/subjectaccessreviews"),
    (ReadOnlyPost.GCP_TEST_IAM_PERMISSIONS, "/v1/projects/p:setIamPolicy"),
    (ReadOnlyPost.GCP_TOKEN_EXCHANGE, "/token?grant_type=refresh_token"),
])
def test_other_documented_posts_only_reach_their_own_endpoint(fake: Recorder, kind: ReadOnlyPost, path: str) -> None:
    http = client(fake)
    with pytest.raises(MutationRefused):
        http.request("POST", path, json_body={}, form={"grant_type": "refresh_token"}, post_kind=kind)
    assert fake.requests == []


# --- hosts -------------------------------------------------------------------------------------------

def test_posts_and_gets_to_another_host_are_refused() -> None:
    with Recorder() as own, Recorder() as other:
        http = ReadOnlyHttp(own.url, HttpSettings(timeout=5, retries=0))
        other_port = other.url.rsplit(":", 1)[1]
        for url in (other.url + "/graphql", f"http://localhost:{other_port}/graphql",
                    own.url.replace("http://", "https://") + "/graphql"):
            with pytest.raises(MutationRefused, match="refusing to send a credential"):
                http.graphql(url, "query { me { id } }")
            with pytest.raises(MutationRefused, match="refusing to send a credential"):
                http.get(url)
        assert other.requests == [] and own.requests == []


def test_http_for_refuses_hosts_that_are_not_the_providers_own() -> None:
    with Recorder() as own, Recorder() as other:
        http = ReadOnlyHttp(own.url, HttpSettings(timeout=5, retries=0))
        ctx = ProviderContext(http=http, endpoint_overridden=False, other_default_urls=("https://iam.amazonaws.com",))
        with pytest.raises(MutationRefused):
            ctx.http_for(other.url)
        assert other.requests == []


# --- the suite-wide check ---------------------------------------------------------------------------

def test_conftest_fails_a_test_whose_fake_saw_a_mutation(tmp_path: Path) -> None:
    """Run a tiny test file with tests/conftest.py as a plugin: the silent DELETE must fail it."""
    (tmp_path / "test_probe.py").write_text(textwrap.dedent('''
        import pytest
        import requests
        from credreach.fakes._server import FakeProvider, FakeResponse

        class Fake(FakeProvider):
            def handle(self, request):
                return FakeResponse(204)

        def test_forgets_to_check():
            with Fake() as fake:
                requests.delete(fake.url + "/volumes/1", timeout=5)

        def test_reads_only():
            with Fake() as fake:
                requests.get(fake.url + "/volumes", timeout=5)

        @pytest.mark.allow_mutating_requests
        def test_opted_out():
            with Fake() as fake:
                requests.delete(fake.url + "/volumes/1", timeout=5)
    '''))
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.conftest",
                           "--rootdir", str(tmp_path), str(tmp_path / "test_probe.py")],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": "/usr/bin:/bin"})
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    assert "mutating requests reached a provider fake" in out and "DELETE /volumes/1" in out
    assert "1 failed, 2 passed" in out and "error" not in out.splitlines()[-1]
    assert "FAILED" in out and "test_forgets_to_check" in out
