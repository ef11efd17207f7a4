"""The progress line: shown on a terminal (files, bytes, rate), silent otherwise, never a secret."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT_ROOT, run_credreach

TOKEN = "ghp_" + "R8fK2mQ9xZ4vB7nL1pW3sT6yH0jD5cG8aE2u"


def _tree(root: Path) -> Path:
    for i in range(120):
        (root / f"f{i}.txt").write_text(f"line {i}\n" * 50)
    (root / "secret.env").write_text(f"GITHUB_TOKEN={TOKEN}\n")
    return root


def test_progress_is_drawn_on_a_terminal_without_secrets(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    master, slave = pty.openpty()
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(PROJECT_ROOT), "HOME": str(tmp_path), "TERM": "xterm"}
    proc = subprocess.Popen([sys.executable, "-m", "scanner", "scan", str(root), "--offline", "-f", "json",
                             "-o", str(tmp_path / "out.json")], stdin=slave, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait(timeout=120) == 0
    text = seen.decode("utf-8", "replace")
    assert "scanning" in text and "files" in text and "/s" in text
    assert TOKEN not in text


def test_no_progress_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    run = run_credreach("scan", str(root), "--offline", "-f", "json", env={"HOME": str(tmp_path)})
    assert run.returncode == 0
    assert run.stderr == ""
