"""Shared fixtures: a way to run the real `credreach` command as a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def run_credreach(*args: str, cwd: Path | str | None = None, env: dict[str, str] | None = None,
                  timeout: float = 120, prefix: tuple[str, ...] = ()) -> Run:
    """Run `python -m scanner` as a real process with a clean environment (HOME isolated by caller)."""
    full_env = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8",
                "HOME": os.environ.get("HOME", "/nonexistent"), "PYTHONPATH": str(PROJECT_ROOT)}
    full_env.update(env or {})
    proc = subprocess.run([*prefix, sys.executable, "-m", "scanner", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)
    return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def credreach():
    return run_credreach


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    base = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "t@example.com",
            "HOME": str(cwd), "PATH": os.environ.get("PATH", "")}
    base.update(env or {})
    return subprocess.run(["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
                          cwd=cwd, env=base, check=True, capture_output=True, text=True).stdout
