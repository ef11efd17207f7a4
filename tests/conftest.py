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
from hypothesis import settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# CI runs property tests with a fixed seed: a failure there reproduces, and a lucky draw cannot
# turn a green submission red after it lands. Locally hypothesis keeps exploring new inputs.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


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
    _record_sarif_of(args, proc.stdout, cwd)
    return Run(proc.returncode, proc.stdout, proc.stderr)


# --- every SARIF the suite produces is validated by Microsoft's multitool (GitHub's rules) ----------

SARIF_PRODUCED: list[tuple[str, str]] = []
"""(where it came from, the SARIF text): validated in one multitool run at the end of the session."""


def record_sarif(text: str, origin: str) -> None:
    if text.lstrip().startswith("{") and '"2.1.0"' in text[:2000]:
        SARIF_PRODUCED.append((origin, text))


def _record_sarif_of(args: tuple[str, ...], stdout: str, cwd: Path | str | None) -> None:
    flags = list(args)
    fmt = next((flags[i + 1] for i, a in enumerate(flags[:-1]) if a in ("-f", "--format")), None)
    if fmt != "sarif":
        return
    out = next((flags[i + 1] for i, a in enumerate(flags[:-1]) if a in ("-o", "--output")), None)
    origin = " ".join(flags)[:200]
    if out is None:
        record_sarif(stdout, origin)
        return
    path = Path(cwd or ".") / out
    try:
        if path.is_file() and not path.is_symlink():
            record_sarif(path.read_text(encoding="utf-8"), origin)
    except (OSError, UnicodeDecodeError):
        pass


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the session if any SARIF a test produced has a multitool error (--rule-kind Gh;Sarif)."""
    if not SARIF_PRODUCED:
        return
    from tests.sarif_multitool import find_multitool, validate_many

    tool = find_multitool()
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if tool is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            session.exitstatus = 1
            if reporter is not None:
                reporter.write_line("SARIF multitool missing in CI: the suite's SARIF was not validated")
        return
    bad: list[str] = []
    for start in range(0, len(SARIF_PRODUCED), 100):
        chunk = SARIF_PRODUCED[start:start + 100]
        for (origin, _), findings in zip(chunk, validate_many([t for _, t in chunk], tool), strict=True):
            errors = [f for f in findings if f.level == "error"]
            if errors:
                bad.append(f"{origin}: " + "; ".join(f"{f.rule}: {f.text}"[:300] for f in errors[:3]))
    if reporter is not None:
        reporter.write_line(f"SARIF multitool (Gh;Sarif): {len(SARIF_PRODUCED)} logs the suite produced, "
                            f"{len(bad)} with errors")
        for line in bad[:20]:
            reporter.write_line(f"  {line}")
    if bad:
        session.exitstatus = 1


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


# --- read-only, proven for every test -----------------------------------------------------------

def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "allow_mutating_requests: the test deliberately sends mutating requests to a fake "
                   "(around credreach) and checks them itself")


def _mutating_since(seen: dict[int, int]) -> list[str]:
    from credreach.fakes._server import ACKNOWLEDGED, FakeProvider, is_mutating

    offending: list[str] = []
    for fake in list(FakeProvider.instances):
        for recorded in list(fake.requests)[seen.get(id(fake), 0):]:
            if is_mutating(recorded) and id(recorded) not in ACKNOWLEDGED:
                offending.append(f"{type(fake).__name__}: {recorded.method} {recorded.path}")
    return offending


def _snapshot() -> dict[int, int]:
    from credreach.fakes._server import FakeProvider

    return {id(fake): len(fake.requests) for fake in FakeProvider.instances}


_SEEN_KEY = pytest.StashKey[dict[int, int]]()


@pytest.fixture(autouse=True)
def _no_mutating_request_reached_a_fake(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Fail any test during which a FakeProvider recorded a mutating request.

    Every fake registers itself (``FakeProvider.instances``), so this holds even for a test that
    forgot ``assert_read_only``. The check runs right after the test body (so the test itself
    fails, see :func:`pytest_runtest_call`) and again here at teardown for requests made while
    fixtures were torn down. Requests a test already passed to ``assert_read_only`` (which failed
    it, or was expected to under ``pytest.raises``) are not reported twice; a test marked
    ``allow_mutating_requests`` is exempt.
    """
    from credreach.fakes._server import FakeProvider

    request.node.stash[_SEEN_KEY] = _snapshot()
    yield
    offending = _mutating_since(request.node.stash[_SEEN_KEY])
    with FakeProvider._instances_lock:  # stopped fakes are done; keep the list short
        FakeProvider.instances[:] = [f for f in FakeProvider.instances if not f.stopped]
    if offending and request.node.get_closest_marker("allow_mutating_requests") is None:
        pytest.fail(f"mutating requests reached a provider fake: {offending}", pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):  # type: ignore[no-untyped-def]
    result = yield
    seen = item.stash.get(_SEEN_KEY, None)
    if seen is not None and item.get_closest_marker("allow_mutating_requests") is None:
        offending = _mutating_since(seen)
        if offending:
            item.stash[_SEEN_KEY] = _snapshot()  # reported once, as this test's failure
            pytest.fail(f"mutating requests reached a provider fake: {offending}", pytrace=False)
    return result
