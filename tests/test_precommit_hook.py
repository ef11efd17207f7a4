"""The pre-commit hook as pre-commit runs it: the `entry` from .pre-commit-hooks.yaml, then the hook's
`args`, then the file names pre-commit selected, as one real process in a real git repository.

pre-commit's contract (https://pre-commit.com/#new-hooks): with ``pass_filenames: true`` the
staged files (or every tracked file with ``--all-files``) are appended to ``entry`` + ``args``;
on a normal commit unstaged changes are stashed first, so the files on disk are what is staged.
A non-zero exit fails the hook and pre-commit shows its stdout and stderr.
"""

from __future__ import annotations

import base64
import os
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from tests.conftest import PROJECT_ROOT, git

NPM_COMMITTED = "npm_" + "Aa1Bb2Cc3Dd4Ee5Ff6Gg7Hh8Ii9Jj0Kk1Ll2"
DB_PASSWORD = "Sommer2024Zeit!Kx"
PRIVATE_KEY = "\n".join([
    "-----BEGIN RSA PRIVATE KEY-----",
    *textwrap.wrap(base64.b64encode(bytes(range(256)) * 4).decode(), 64),
    "-----END RSA PRIVATE KEY-----",
]) + "\n"
KEY_BODY = PRIVATE_KEY.splitlines()[1]


def hook() -> dict:
    hooks = yaml.safe_load((PROJECT_ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (only,) = hooks
    return only


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose history already holds an npm token (committed before the hook existed)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "legacy.env").write_text(f"NPM_TOKEN={NPM_COMMITTED}\n")
    (repo / "README.md").write_text("hello\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    return repo


def run_hook(repo: Path, files: list[str], args: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    """``entry`` + ``args`` + file names, from the repository root, with `credreach` on PATH."""
    bindir = repo.parent / "bin"
    bindir.mkdir(exist_ok=True)
    shim = bindir / "credreach"
    shim.write_text(f"#!/bin/sh\nexec {sys.executable} -m scanner \"$@\"\n")
    shim.chmod(0o755)
    argv = [*shlex.split(hook()["entry"]), *(args or []), *files]
    env = {"PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}", "HOME": str(repo.parent / "home"),
           "LANG": "C.UTF-8", "PYTHONPATH": str(PROJECT_ROOT)}
    proc = subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in proc.stderr
    return proc


def staged(repo: Path) -> list[str]:
    """The files pre-commit passes on a commit: added, copied, modified, renamed (not deleted)."""
    out = git(repo, "diff", "--cached", "--name-only", "--diff-filter=ACMR", "-z")
    return [name for name in out.split("\0") if name]


def test_hook_definition_passes_file_names_with_the_commit_preset() -> None:
    definition = hook()
    assert definition["pass_filenames"] is True and definition.get("always_run") is not True
    argv = shlex.split(definition["entry"])
    assert argv[:3] == ["credreach", "scan", "--staged"]
    assert "--offline" in argv and argv[argv.index("--fail-on") + 1] == "low"


def test_a_commit_with_a_private_key_and_a_keyword_password_is_blocked_with_a_hint(repo: Path) -> None:
    (repo / "deploy").mkdir()
    (repo / "deploy" / "id_rsa").write_text(PRIVATE_KEY)
    (repo / "config.ini").write_text(f'[db]\ndb_password = "{DB_PASSWORD}"\n')
    git(repo, "add", ".")
    proc = run_hook(repo, staged(repo))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout + proc.stderr
    # Both are `low` offline, and the commit preset blocks them; the committed npm token in a file
    # that is not part of this commit is not reported.
    assert "deploy/id_rsa:1:1" in proc.stdout and "config.ini:2:" in proc.stdout
    assert "private_key" in proc.stdout and "password" in proc.stdout
    assert "legacy.env" not in out
    for secret in (DB_PASSWORD, KEY_BODY, NPM_COMMITTED):
        assert secret not in out
    assert "commit blocked: 2 credentials" in proc.stderr
    assert "rotate" in proc.stderr and "credreach:allow" in proc.stderr
    assert "credreach baseline update" in proc.stderr and "args: [--baseline, .credreach-baseline.json]" in proc.stderr
    assert "SKIP=credreach git commit" in proc.stderr


def test_only_the_passed_files_are_scanned(repo: Path) -> None:
    (repo / "notes.txt").write_text("nothing secret here\n")
    (repo / "unstaged.ini").write_text(f'password = "{DB_PASSWORD}"\n')   # not staged, not passed
    git(repo, "add", "notes.txt")
    assert staged(repo) == ["notes.txt"]
    proc = run_hook(repo, staged(repo))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "commit blocked" not in proc.stderr


def test_all_files_scans_every_tracked_file(repo: Path) -> None:
    """`pre-commit run --all-files` passes `git ls-files` with nothing staged: the committed token is found."""
    tracked = [name for name in git(repo, "ls-files", "-z").split("\0") if name]
    assert staged(repo) == []
    proc = run_hook(repo, tracked)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "legacy.env:1:11" in proc.stdout and NPM_COMMITTED not in proc.stdout + proc.stderr


def test_the_ways_out_the_hint_names_work(repo: Path) -> None:
    # An allow comment on the line.
    (repo / "config.ini").write_text(f'db_password = "{DB_PASSWORD}"  # credreach:allow test fixture\n')
    git(repo, "add", "config.ini")
    assert run_hook(repo, staged(repo)).returncode == 0
    # A baseline, with the hook's `args` as the hint says.
    (repo / "deploy.sh").write_text(f"export NPM_TOKEN={NPM_COMMITTED}\n")
    git(repo, "add", "deploy.sh")
    assert run_hook(repo, staged(repo)).returncode == 1
    update = subprocess.run([sys.executable, "-m", "scanner", "baseline", "update", "--reason", "fixture"],
                            cwd=repo, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "HOME": str(repo.parent / "home")})
    assert update.returncode == 0, update.stderr
    git(repo, "add", ".credreach-baseline.json")
    args = ["--baseline", ".credreach-baseline.json"]
    proc = run_hook(repo, staged(repo), args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # A new secret still blocks, and the hint now names the baseline in use.
    (repo / "deploy").mkdir()
    (repo / "deploy" / "id_rsa").write_text(PRIVATE_KEY)
    git(repo, "add", "deploy/id_rsa")
    blocked = run_hook(repo, staged(repo), args)
    assert blocked.returncode == 1 and "deploy/id_rsa" in blocked.stdout
    assert "credreach baseline update -o .credreach-baseline.json" in blocked.stderr


def test_without_file_names_the_staged_diff_is_scanned(repo: Path) -> None:
    """`--staged` alone (the hook run by hand, or `always_run`) still means the lines the index adds."""
    assert run_hook(repo, []).returncode == 0                      # the committed token is not new
    (repo / "config.ini").write_text(f'password = "{DB_PASSWORD}"\n')
    git(repo, "add", "config.ini")
    proc = run_hook(repo, [])
    assert proc.returncode == 1 and "config.ini" in proc.stdout and "commit blocked" in proc.stderr


def test_directories_and_file_names_together_are_a_usage_error(repo: Path) -> None:
    proc = run_hook(repo, [".", "README.md"])
    assert proc.returncode == 2 and "either file names" in proc.stderr
