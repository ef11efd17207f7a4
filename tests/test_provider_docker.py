"""Docker Hub provider against its loopback fake: granted actions, registries, invalid, 429, 5xx."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from credreach.fakes._server import assert_read_only
from credreach.fakes.docker import DockerHubFake
from providers.docker import PROVIDER
from scanner.model import Action, EnvClass, VerificationStatus
from tests.helpers import context_for, make_credential

ADMIN_PAT = "dckr_pat_" + "A" * 27
READ_PAT = "dckr_pat_" + "B" * 27
REVOKED = "dckr_pat_" + "C" * 27


@pytest.fixture
def fake() -> Iterator[DockerHubFake]:
    server = DockerHubFake(logins={("acme", ADMIN_PAT): "admin", ("acme", READ_PAT): "read"},
                           repos={"acme": ["api-prod", "worker-dev"]})
    with server:
        yield server


def _run(fake: DockerHubFake, kind: str, secret: str, companions: dict[str, str]):
    return PROVIDER.introspect(make_credential("docker", kind, secret, companions), context_for(fake.url))


def test_admin_pat_granted_push_and_delete(fake: DockerHubFake) -> None:
    result = _run(fake, "docker_pat", ADMIN_PAT, {"username": "acme"})
    assert result.verification.status is VerificationStatus.LIVE
    blast = result.blast_radius
    assert blast.scopes == ("repo:admin",)
    assert blast.token_type == "personal access token"
    assert {c.action for c in blast.capabilities} == {Action.READ, Action.WRITE, Action.DELETE}
    repos = {r.name: r.env_class for r in blast.resources if r.kind == "repository"}
    assert repos == {"acme/api-prod": EnvClass.PRODUCTION, "acme/worker-dev": EnvClass.DEVELOPMENT}
    listing = next(r for r in fake.requests if r.path.startswith("/v2/repositories/"))
    assert listing.header("Authorization") is None  # public listing: the secret is not sent there
    token_request = next(r for r in fake.requests if r.path == "/token")
    assert token_request.query["scope"] == ["repository:acme/api-prod:pull,push,delete"]
    assert_read_only(fake.requests)


def test_read_only_pat_gets_pull_only(fake: DockerHubFake) -> None:
    result = _run(fake, "docker_pat", READ_PAT, {"username": "acme"})
    assert result.blast_radius.scopes == ("repo:read",)
    assert [c.action for c in result.blast_radius.capabilities] == [Action.READ]
    assert_read_only(fake.requests)


def test_config_json_login_for_docker_hub(fake: DockerHubFake) -> None:
    result = _run(fake, "docker_registry_auth", ADMIN_PAT,
                  {"registry": "https://index.docker.io/v1/", "username": "acme"})
    assert result.verification.status is VerificationStatus.LIVE
    assert any("config.json" in n for n in result.blast_radius.notes)
    assert_read_only(fake.requests)


def test_other_registry_is_never_sent(fake: DockerHubFake) -> None:
    result = _run(fake, "docker_registry_auth", "ghp_" + "x" * 36, {"registry": "ghcr.io", "username": "acme"})
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert "--endpoint docker=https://ghcr.io" in result.verification.reason
    assert fake.requests == []


def test_pat_without_username_is_unverifiable(fake: DockerHubFake) -> None:
    result = _run(fake, "docker_pat", ADMIN_PAT, {})
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert fake.requests == []


def test_revoked_pat_is_invalid(fake: DockerHubFake) -> None:
    result = _run(fake, "docker_pat", REVOKED, {"username": "acme"})
    assert result.verification.status is VerificationStatus.INVALID
    assert "incorrect username or password" in result.verification.reason
    assert_read_only(fake.requests)


def test_rate_limit_retried_then_live(fake: DockerHubFake) -> None:
    fake.mode, fake.limited = "rate_limit", 1
    result = _run(fake, "docker_pat", ADMIN_PAT, {"username": "acme"})
    assert result.verification.status is VerificationStatus.LIVE
    assert_read_only(fake.requests)


def test_rate_limit_persisting_is_unverifiable(fake: DockerHubFake) -> None:
    fake.mode, fake.retry_after = "rate_limit", "600"
    result = _run(fake, "docker_pat", ADMIN_PAT, {"username": "acme"})
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert "429" in result.verification.reason
    assert_read_only(fake.requests)


def test_server_error_is_unverifiable(fake: DockerHubFake) -> None:
    fake.mode = "error"
    result = _run(fake, "docker_pat", ADMIN_PAT, {"username": "acme"})
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert_read_only(fake.requests)
