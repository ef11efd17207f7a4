"""Issue 12.11: a self-managed host beside a GitHub/GitLab token is named, never contacted.

``GH_HOST``/``GITHUB_API_URL`` or ``GITLAB_HOST``/``CI_SERVER_URL`` next to a token (same file, or
the same environment) mean the token belongs to that host. credreach must neither check it against
github.com/gitlab.com (wrong answer, wrong recipient) nor send it to the host the file names: it
says "unverifiable: self-managed host X; pass --endpoint", and only an explicit ``--endpoint``
makes it send. Every network attempt of the real CLI process is recorded by an audit hook.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from credreach.fakes.github import FakeToken, GitHubFake
from providers.github import make_classic_token
from scanner.detect.hosts import host_context, normalise_host
from tests.conftest import PROJECT_ROOT, run_credreach

GH_TOKEN = make_classic_token("ghp_", "Xq7Lm2Rt9Vw4Bz8Nc3Fd6Hj1Kp5Sa9")
GL_TOKEN = "glpat-Qw3rTy7uIo9pAs2dFg4h"

AUDIT_HOOK = '''
import os, sys
_log = os.environ.get("NETLOG")
def _hook(event, args):
    if _log and event in ("socket.connect", "socket.getaddrinfo", "socket.sendto"):
        with open(_log, "a") as f:
            f.write(event + " " + repr(args[1] if event != "socket.getaddrinfo" else args[:2]) + "\\n")
sys.addaudithook(_hook)
'''


def _scan(tmp_path: Path, workspace: Path, *args: str, env: dict[str, str] | None = None) -> tuple[dict, list[str]]:
    hook_dir = tmp_path / "hook"
    hook_dir.mkdir(exist_ok=True)
    (hook_dir / "sitecustomize.py").write_text(AUDIT_HOOK)
    netlog = tmp_path / "net.log"
    netlog.write_text("")
    run = run_credreach("scan", str(workspace), "-f", "json", "--fail-on", "none", *args,
                        env={"HOME": str(tmp_path), "NETLOG": str(netlog),
                             "PYTHONPATH": f"{hook_dir}:{PROJECT_ROOT}", **(env or {})})
    assert run.returncode == 0, run.stderr
    return run.json(), [line for line in netlog.read_text().splitlines() if line]


def _workspace(tmp_path: Path, text: str) -> Path:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / ".env").write_text(text)
    return workspace


def _only(report: dict, provider: str) -> dict:
    (cred,) = [c for c in report["credentials"] if c["provider"] == provider]
    return cred


@pytest.mark.parametrize("line", [
    "GH_HOST=ghe.corp.example\n",
    'export GITHUB_API_URL="https://ghe.corp.example/api/v3"\n',
    "GITHUB_SERVER_URL: https://ghe.corp.example\n",
])
def test_github_token_beside_a_self_managed_host_is_unverifiable_and_nothing_is_sent(
        tmp_path: Path, line: str) -> None:
    workspace = _workspace(tmp_path, f"GITHUB_TOKEN={GH_TOKEN}\n# enterprise\n{line}")
    report, network = _scan(tmp_path, workspace)
    cred = _only(report, "github")
    assert cred["verification"]["status"] == "unverifiable"
    reason = cred["verification"]["reason"]
    assert "ghe.corp.example" in reason and "--endpoint github=https://ghe.corp.example/api/v3" in reason
    assert network == []
    assert GH_TOKEN not in json.dumps(report)


def test_gitlab_token_in_the_environment_beside_ci_server_url_is_unverifiable(tmp_path: Path) -> None:
    workspace = tmp_path / "empty"
    workspace.mkdir()
    report, network = _scan(tmp_path, workspace, "--env",
                            env={"GITLAB_TOKEN": GL_TOKEN, "CI_SERVER_URL": "https://gitlab.corp.example"})
    cred = _only(report, "gitlab")
    assert cred["verification"]["status"] == "unverifiable"
    assert "gitlab.corp.example" in cred["verification"]["reason"]
    assert "--endpoint gitlab=https://gitlab.corp.example/api/v4" in cred["verification"]["reason"]
    assert network == []


def test_explicit_endpoint_is_the_only_way_the_token_is_sent(tmp_path: Path) -> None:
    """The user's --endpoint wins over the file's host; the audit log proves where the call went."""
    workspace = _workspace(tmp_path, f"GITHUB_TOKEN={GH_TOKEN}\nGH_HOST=ghe.corp.example\n")
    with GitHubFake({GH_TOKEN: FakeToken("classic", login="octo", scopes=("repo",))}) as fake:
        report, network = _scan(tmp_path, workspace, "--endpoint", f"github={fake.api_url}")
        sent = [r for r in fake.requests if (r.header("Authorization") or "").endswith(GH_TOKEN)]
    assert _only(report, "github")["verification"]["status"] == "live"
    assert sent, "the audit hook would be useless if the token never went to the user's endpoint"
    assert network and all("127.0.0.1" in line for line in network), network


@pytest.mark.parametrize("text", [
    "GITHUB_API_URL=https://api.github.com\nGITHUB_SERVER_URL=https://github.com\n",  # every Actions job
    "CI_SERVER_URL=https://gitlab.com\n",
    "GH_HOST=\n", "GH_HOST=localhost-ish-not-a-host\n",
])
def test_public_or_empty_hosts_mark_nothing_self_managed(text: str) -> None:
    assert host_context(text) == {}


def test_host_normalisation_drops_scheme_path_and_userinfo() -> None:
    assert normalise_host("https://user:pw@GHE.Corp.Example/api/v3") == "ghe.corp.example"
    assert normalise_host("ghe.corp.example:8443") == "ghe.corp.example:8443"
    assert normalise_host("/api/v3") is None
