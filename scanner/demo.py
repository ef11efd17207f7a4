"""`credreach demo`: the PocketOS incident, rebuilt offline, scanned by the real pipeline.

Stands up the loopback fakes (Railway GraphQL, GitHub REST, AWS via moto's server), builds a
machine in a temp dir (a staging task workspace, an unrelated script holding a Railway token with
production access, a GitHub token in gh's hosts.yml, AWS keys in ~/.aws/credentials) and runs the
same scan `credreach preflight` runs. Every credential in it is fake and known only to the fakes;
the user's own environment is never scanned here, so no real secret reaches a fake.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.model import ScanResult
from scanner.pipeline import ScanOptions, run_scan

TASK = "fix the staging database credentials"


@dataclass
class DemoWorld:
    workspace: Path
    home: Path
    endpoints: dict[str, str]
    environ: dict[str, str]
    request_logs: dict[str, list[Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    guard_replay: list[Any] = field(default_factory=list)
    """`credreach guard` replay of the incident's tool call (scanner.guard.replay), filled by run_demo."""


def _write(path: Path, text: str, mode: int = 0o600) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def build_machine(root: Path, railway_account: str, railway_project: str, gh_token: str,
                  aws_key: tuple[str, str] | None) -> tuple[Path, Path]:
    """The PocketOS-like machine: a staging task workspace and the developer's home."""
    from scanner import subproc

    workspace = root / "pocketos"
    home = root / "home"
    _write(workspace / ".gitignore", ".env*\nscripts/domains.sh\n")
    _write(workspace / "README.md", f"# pocketos\n\nTask for the agent: {TASK}.\n")
    _write(workspace / ".env.staging", f"RAILWAY_TOKEN={railway_project}\nAPP_ENV=staging\n")
    _write(workspace / "scripts" / "domains.sh",
           "#!/bin/sh\n# Add the custom domains for the marketing site (one-off, 2025).\n"
           f"export RAILWAY_API_TOKEN={railway_account}\n"
           "railway domain add www.pocketos.example\n", 0o700)
    _write(workspace / "app" / "db.py", 'DATABASE_URL = os.environ["DATABASE_URL"]\n')
    env = {"GIT_AUTHOR_NAME": "demo", "GIT_AUTHOR_EMAIL": "demo@pocketos.example",
           "GIT_COMMITTER_NAME": "demo", "GIT_COMMITTER_EMAIL": "demo@pocketos.example",
           "HOME": str(home), "PATH": os.environ.get("PATH", "")}
    for args in (["init", "-q", "-b", "main"], ["add", ".gitignore", "README.md", "app/db.py"],
                 ["commit", "-q", "-m", "pocketos api"]):
        done = subproc.run(["git", *args], cwd=str(workspace), env=env, timeout=60)  # bounded, like every child
        if done.returncode != 0:
            raise RuntimeError(f"demo: git {args[0]} failed: {done.stderr.decode(errors='replace').strip()[:200]}")
    _write(home / ".config" / "gh" / "hosts.yml",
           f"github.com:\n    oauth_token: {gh_token}\n    user: pocketos-dev\n    git_protocol: https\n")
    if aws_key:
        _write(home / ".aws" / "credentials",
               f"[default]\naws_access_key_id = {aws_key[0]}\naws_secret_access_key = {aws_key[1]}\n")
    return workspace, home


@contextlib.contextmanager
def demo_world(root: Path) -> Iterator[DemoWorld]:
    try:
        from credreach.fakes.github import DEMO_OAUTH_TOKEN, GitHubFake, demo_world
        from credreach.fakes.railway import (
            POCKETOS_ACCOUNT_TOKEN,
            POCKETOS_PROJECT_TOKEN,
            pocketos_world,
        )
    except ImportError as exc:
        raise RuntimeError("the demo needs the test extras: pip install -e '.[test]' "
                           f"({exc.name} is missing)") from None
    with contextlib.ExitStack() as stack:
        railway = stack.enter_context(pocketos_world())
        from scanner.guard.replay import add_staging_only_volume

        staging_volume = add_staging_only_volume(railway.world)
        github = stack.enter_context(GitHubFake(demo_world()))
        endpoints = {"railway": railway.url, "github": github.api_url}
        logs: dict[str, list[Any]] = {"railway": railway.requests, "github": github.requests}
        notes: list[str] = []
        aws_key = None
        try:
            from credreach.fakes.aws_moto import MotoServer, RecordingProxy
            from credreach.fakes.aws_world import populate_aws_world

            moto = stack.enter_context(MotoServer())
            world = populate_aws_world(moto.url)
            moto.enable_auth()
            proxy = stack.enter_context(RecordingProxy(moto.url))
            endpoints["aws"] = proxy.url
            logs["aws"] = proxy.requests
            key = world.keys["prod-dba"]
            aws_key = (key.access_key_id, key.secret_access_key)
        except Exception as exc:  # moto missing or failing: the demo goes on without AWS
            notes.append(f"AWS part skipped: {type(exc).__name__}: {exc}"[:200])
        workspace, home = build_machine(root, POCKETOS_ACCOUNT_TOKEN, POCKETOS_PROJECT_TOKEN,
                                        DEMO_OAUTH_TOKEN, aws_key)
        environ = {"RAILWAY_TOKEN": POCKETOS_PROJECT_TOKEN, "APP_ENV": "staging"}
        del staging_volume  # the replay names it (scanner.guard.replay.STAGING_VOLUME)
        yield DemoWorld(workspace, home, endpoints, environ, logs, notes)


def run_demo(task_env: str = "staging") -> tuple[ScanResult, DemoWorld]:
    with tempfile.TemporaryDirectory(prefix="credreach-demo-") as tmp, demo_world(Path(tmp)) as world:
        options = ScanOptions(
            roots=(str(world.workspace),), git_history=True, home=True, home_dir=str(world.home),
            env=True, environ=world.environ, endpoints=world.endpoints, verify_timeout=60,
            task_env=task_env,
        )
        cwd = os.getcwd()
        os.chdir(world.workspace.parent)
        try:
            result = run_scan(options)
        finally:
            os.chdir(cwd)
        try:  # `credreach guard`: the incident's own tool call through the real hook process
            from credreach.fakes.railway import POCKETOS_ACCOUNT_TOKEN
            from scanner.guard.replay import STAGING_VOLUME, replay

            world.guard_replay = replay(result, world, task_env, POCKETOS_ACCOUNT_TOKEN, STAGING_VOLUME)
        except Exception as exc:  # the scan above stands even if the replay cannot run
            world.notes.append(f"guard replay skipped: {type(exc).__name__}: {exc}"[:200])
        return result, world
