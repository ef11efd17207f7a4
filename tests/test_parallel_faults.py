"""A fault while detecting one document, or a dead worker, never ends a parallel scan.

Serial scans already turned a detector exception into a skipped file; a parallel scan re-raised
it and ended. Now a worker returns :class:`DetectionFailed` for that one document, and a worker
killed mid-scan (out of memory, SIGKILL) has its batch re-detected in the parent.
"""

from __future__ import annotations

import base64
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from scanner.detect.parallel import DetectionFailed, OrderedDetector
from scanner.model import Location, SourceKind
from scanner.sources.base import Document
from tests.conftest import PROJECT_ROOT, run_credreach

TOKEN = "npm_" + "Aa1Bb2Cc3Dd4Ee5Ff6Gg7Hh8Ii9Jj0Kk1Ll2"


class PoisonedText(str):
    """Text on which the detector fails, the way a detector bug would on one file's content."""

    def __contains__(self, item: object) -> bool:
        raise RuntimeError("detector bug")

    def find(self, *args: object) -> int:  # type: ignore[override]
        raise RuntimeError("detector bug")

    def count(self, *args: object) -> int:  # type: ignore[override]
        raise RuntimeError("detector bug")


def _doc(name: str, text: str) -> Document:
    return Document(text, Location(path=name, line=None, column=None, source=SourceKind.WORKSPACE), len(text))


def test_one_failing_document_is_reported_and_the_others_detected_in_workers() -> None:
    detector: OrderedDetector[str] = OrderedDetector(workers=2, min_parallel_bytes=0)
    ready = []
    try:
        for i in range(40):
            name = f"f{i}.env"
            text = PoisonedText(f"NPM_TOKEN={TOKEN}\n") if i == 7 else f"NPM_TOKEN={TOKEN}\n"
            ready += detector.submit(_doc(name, text), name)
        ready += detector.finish()
    finally:
        detector.close()
    assert [tag for tag, _ in ready] == [f"f{i}.env" for i in range(40)]  # order kept
    failed = [(tag, hits) for tag, hits in ready if isinstance(hits, DetectionFailed)]
    assert [(tag, hits.path, hits.error) for tag, hits in failed] == [("f7.env", "f7.env", "RuntimeError")]
    found = [tag for tag, hits in ready if any(h.secret == TOKEN for h in hits)]
    assert len(found) == 39


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
            out += [int(p) for p in text.split()]
    except OSError:
        return out
    return out


def test_a_worker_killed_mid_scan_loses_nothing(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    filler = "x = 'just some code here'\n" * 400
    for i in range(1500):
        body = base64.b64encode(hashlib.sha256(str(i).encode()).digest()).decode()
        body = "".join(c for c in body if c.isalnum())[:36]
        secret = f"NPM_TOKEN=npm_{body}\n" if i % 50 == 0 else ""
        (tree / f"m{i:04d}.py").write_text(filler + secret)
    serial = run_credreach("scan", str(tree), "-f", "json", "--offline", "--fail-on", "none",
                           env={"HOME": str(tmp_path), "CREDREACH_WORKERS": "1"})
    assert serial.returncode == 0, serial.stderr
    expected = sorted(c["fingerprint"] for c in serial.json()["credentials"])
    assert len(expected) == 30
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "PYTHONPATH": str(PROJECT_ROOT),
           "CREDREACH_WORKERS": "2", "CREDREACH_PARALLEL_MIN_BYTES": "0", "LANG": "C.UTF-8"}
    out = tmp_path / "out.json"
    proc = subprocess.Popen([sys.executable, "-m", "scanner", "scan", str(tree), "-f", "json", "--offline",
                             "--fail-on", "none", "-o", str(out)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed = None
    deadline = time.monotonic() + 60
    while killed is None and proc.poll() is None and time.monotonic() < deadline:
        for child in _children(proc.pid):
            try:
                cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if b"spawn_main" in cmdline and b"resource_tracker" not in cmdline:
                os.kill(child, signal.SIGKILL)
                killed = child
                break
        time.sleep(0.02)
    _, stderr = proc.communicate(timeout=300)
    assert killed is not None, "no worker was seen: the scan did not run in parallel"
    assert proc.returncode == 0, stderr
    import json

    got = sorted(c["fingerprint"] for c in json.loads(out.read_text())["credentials"])
    assert got == expected
