"""Hostile filesystems: the scan always finishes, finds what is there and says what it skipped.

Every tree here is real (temp dirs, FIFOs, sockets, device nodes, sparse files) and scanned by the
real CLI as a process, except the race tests, which drive the walker in-process with a sink that
changes the tree at a precise moment (deterministic, not timing-dependent). Time bounds come from
pytest-timeout; nothing asserts on speed.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import stat
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scanner.model import Hit
from scanner.sources.base import Document
from scanner.sources.files import WalkOptions, walk_workspace
from tests.conftest import run_credreach

# Assembled at run time so this repository holds no token-shaped literals.
GH_TOKEN = "ghp_" + "R8fK2mQ9xZ4vB7nL1pW3sT6yH0jD5cG8aE2u"
NPM_TOKEN = "npm_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
SLACK_TOKEN = "xoxb-" + "2739104856-5018273649201-Qm7TzR2kWp9Lx4Nv8Bc3Hd6Y"  # random-looking: a sequential body is demoted
OUTSIDE_TOKEN = "npm_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"


def scan(root: Path, *args: str, prefix: tuple[str, ...] = (), cwd: Path | None = None) -> dict:
    run = run_credreach("scan", str(root), "--offline", "-f", "json", *args, cwd=cwd or root.parent,
                        env={"HOME": str(root.parent / "no-home")}, prefix=prefix, timeout=100)
    assert run.returncode in (0, 1), run.stderr
    assert "Traceback" not in run.stderr
    return json.loads(run.stdout)


def kinds(report: dict) -> dict[str, list[str]]:
    return {c["kind"]: [loc["path"] for loc in c["locations"]] for c in report["credentials"]}


def skip_reason(report: dict, name: str) -> str:
    """The reason the report gives for skipping the path ending in ``name``."""
    for reason, entry in report["scan"]["skipped"].items():
        if any(example.endswith(name) for example in entry["examples"]):
            return str(reason)
    raise AssertionError(f"{name} not reported as skipped: {report['scan']['skipped']}")


def unprivileged() -> tuple[str, ...]:
    """A command prefix under which permission bits apply (root bypasses them otherwise)."""
    if os.geteuid() != 0:
        return ()
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv to drop CAP_DAC_OVERRIDE")
    return ("setpriv", "--bounding-set=-dac_override,-dac_read_search")


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "app.env").write_text(f"GITHUB_TOKEN={GH_TOKEN}\n")
    return root


# --- links, special files, devices -----------------------------------------------------------------

@pytest.mark.timeout(120)
def test_links_and_special_files_are_never_opened(ws: Path, tmp_path: Path) -> None:
    os.symlink(ws, ws / "loop-to-root")                       # directory cycle
    os.symlink("self", ws / "self")                            # ELOOP on itself
    os.symlink(ws / "b", ws / "a")
    os.symlink(ws / "a", ws / "b")                             # a <-> b
    os.symlink("/dev/zero", ws / "zero")                       # endless reads if ever opened
    os.symlink("/dev/urandom", ws / "random")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "creds.txt").write_text(f"token={OUTSIDE_TOKEN}\n")
    os.symlink(outside, ws / "outside-dir")                    # whole directory outside the root
    os.symlink(outside / "creds.txt", ws / "outside.txt")
    os.symlink(ws / "missing", ws / "dangling")
    os.mkfifo(ws / "pipe")                                     # an open() would block forever
    (ws / "inner").mkdir()
    os.symlink(ws / "pipe", ws / "inner" / "pipe-link")        # FIFO reached through a link in the root
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(ws / "agent.sock"))
    if os.geteuid() == 0:
        os.mknod(ws / "null-device", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    try:
        report = scan(ws)
    finally:
        sock.close()
    assert kinds(report) == {"github_classic_pat": ["ws/app.env"]}
    assert "loop" in skip_reason(report, "/self")
    assert "loop" in skip_reason(report, "/a") or "loop" in skip_reason(report, "/b")
    for name in ("zero", "random", "outside-dir", "outside.txt"):
        assert "outside the scanned roots" in skip_reason(report, name)
    assert "broken" in skip_reason(report, "dangling")
    for name in ("/pipe", "pipe-link", "agent.sock"):
        assert "FIFO, socket or device" in skip_reason(report, name)
    if os.geteuid() == 0:
        assert "device" in skip_reason(report, "null-device")
    # The directory cycle was entered once, not endlessly: the token has a single location.
    assert len(report["credentials"][0]["locations"]) == 1


@pytest.mark.timeout(60)
def test_a_fifo_or_device_given_as_root_is_skipped(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for root in (fifo, Path("/dev/zero")):
        run = run_credreach("scan", str(root), "--offline", "-f", "json", cwd=tmp_path,
                            env={"HOME": str(tmp_path)}, timeout=50)
        assert run.returncode == 0, run.stderr
        report = json.loads(run.stdout)
        assert report["credentials"] == []
        assert "FIFO, socket or device" in skip_reason(report, root.name)


# --- size ---------------------------------------------------------------------------------------

@pytest.mark.timeout(120)
def test_sparse_2gb_file_is_skipped_not_read(ws: Path) -> None:
    sparse = ws / "disk.img"
    with open(sparse, "wb") as handle:
        handle.truncate(2 * 1024**3)
    assert skip_reason(scan(ws), "disk.img") == "larger than the size limit"
    # Even when the limit admits it, the first block is NULs: binary, and not read further.
    report = scan(ws, "--max-file-size", "3G")
    assert skip_reason(report, "disk.img") == "binary"
    assert report["scan"]["bytes_scanned"] < 1024**2
    assert "github_classic_pat" in kinds(report)


@pytest.mark.timeout(120)
def test_one_megabyte_minified_line_is_scanned(ws: Path) -> None:
    chunk = "function(a,b){return a+b};var x=[1,2,3];"
    head = chunk * (512 * 1024 // len(chunk))
    tail = chunk * (512 * 1024 // len(chunk))
    (ws / "bundle.min.js").write_text(f'{head}var k="{NPM_TOKEN}";{tail}')
    report = scan(ws)
    (cred,) = [c for c in report["credentials"] if c["kind"] == "npm_token"]
    (loc,) = cred["locations"]
    assert loc["line"] == 1
    assert loc["column"] == len(head) + len('var k="') + 1


# --- depth and names ------------------------------------------------------------------------------

@pytest.mark.timeout(120)
def test_300_nested_directories(ws: Path) -> None:
    deep = ws.joinpath(*(["d"] * 300))
    deep.mkdir(parents=True)
    (deep / "secret.txt").write_text(f"npm={NPM_TOKEN}\n")
    report = scan(ws)
    (path,) = kinds(report)["npm_token"]
    assert path.count("/d") == 300 and path.endswith("secret.txt")


def _mkdir_chain(parent: Path, name: str, depth: int) -> None:
    """Directories nested beyond PATH_MAX, made with dir fds (a full path would be too long)."""
    fd = os.open(parent, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir(name, dir_fd=fd)
            nxt = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nxt
        leaf = os.open("leaf.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(leaf, f"slack={SLACK_TOKEN}\n".encode())
        os.close(leaf)
    finally:
        os.close(fd)


@pytest.mark.timeout(120)
def test_paths_longer_than_path_max_are_reported(ws: Path) -> None:
    _mkdir_chain(ws, "x" * 200, 30)  # 30 * 201 characters: beyond Linux's 4096
    try:
        report = scan(ws)
    finally:
        shutil.rmtree(ws / ("x" * 200))
    assert "github_classic_pat" in kinds(report)
    reasons = report["scan"]["skipped"]
    too_long = [r for r in reasons if "too long" in r.lower()]
    assert too_long, reasons
    assert all(len(example) > 4000 for r in too_long for example in reasons[r]["examples"])


@pytest.mark.timeout(120)
def test_newlines_and_invalid_utf8_in_file_names(ws: Path) -> None:
    base = os.fsencode(ws)
    with open(base + b"/two\nlines.env", "w") as handle:
        handle.write(f"SLACK={SLACK_TOKEN}\n")
    os.mkdir(base + b"/caf\xe9-\x1b[31m")
    with open(base + b"/caf\xe9-\x1b[31m/tok\xff.txt", "w") as handle:
        handle.write(f"npm={NPM_TOKEN}\n")
    for fmt in ("json", "sarif"):
        run = run_credreach("scan", str(ws), "--offline", "-f", fmt, cwd=ws, env={"HOME": str(ws)})
        assert run.returncode in (0, 1), run.stderr
        json.loads(run.stdout)  # valid JSON despite the names
        assert "\x1b" not in run.stdout
    report = scan(ws, cwd=ws)
    found = kinds(report)
    # Shown in the shell's ANSI-C quoting: unambiguous, and the name of the file that exists.
    assert found["slack_bot_token"] == ["$'two\\x0alines.env'"]
    assert found["npm_token"] == ["$'caf\\xe9-\\x1b[31m/tok\\xff.txt'"]
    for shown, secret in ((found["slack_bot_token"][0], SLACK_TOKEN), (found["npm_token"][0], NPM_TOKEN)):
        opened = subprocess.run(["bash", "-c", f"cat -- {shown}"], cwd=ws, capture_output=True, timeout=30)
        assert opened.returncode == 0 and secret.encode() in opened.stdout, opened.stderr
    sarif = json.loads(run_credreach("scan", str(ws), "--offline", "-f", "sarif", cwd=ws,
                                     env={"HOME": str(ws)}).stdout)
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"]
            for result in sarif["runs"][0]["results"] for loc in result["locations"]}
    assert {"two%0Alines.env", "caf%E9-%1B%5B31m/tok%FF.txt"} <= uris, uris
    table = run_credreach("scan", str(ws), "--offline", cwd=ws, env={"HOME": str(ws)})
    assert "\x1b[31m/tok" not in table.stdout and "two\nlines" not in table.stdout


# --- permissions ----------------------------------------------------------------------------------

@pytest.mark.timeout(120)
def test_unreadable_directories_at_every_level(ws: Path) -> None:
    prefix = unprivileged()
    locked = ws / "a" / "locked"
    locked.mkdir(parents=True)
    (locked / "inside.txt").write_text(f"npm={NPM_TOKEN}\n")
    no_exec = ws / "listable-not-enterable"
    no_exec.mkdir()
    (no_exec / "f.txt").write_text(f"slack={SLACK_TOKEN}\n")
    locked.chmod(0)
    no_exec.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    try:
        report = scan(ws, prefix=prefix)
    finally:
        locked.chmod(stat.S_IRWXU)
        no_exec.chmod(stat.S_IRWXU)
    assert kinds(report) == {"github_classic_pat": ["ws/app.env"]}
    assert skip_reason(report, "locked") == "unreadable directory"
    assert "f.txt" in str(report["scan"]["skipped"]) or "listable-not-enterable" in str(report["scan"]["skipped"])


@pytest.mark.timeout(60)
def test_unreadable_root_is_a_usage_error_not_a_crash(tmp_path: Path) -> None:
    prefix = unprivileged()
    root = tmp_path / "root"
    root.mkdir()
    (root / "x.env").write_text(f"npm={NPM_TOKEN}\n")
    root.chmod(0)
    try:
        run = run_credreach("scan", str(root), "--offline", "-f", "json", cwd=tmp_path,
                            env={"HOME": str(tmp_path)}, prefix=prefix)
    finally:
        root.chmod(stat.S_IRWXU)
    assert run.returncode == 2 and run.stdout == ""
    assert "not readable" in run.stderr and "Traceback" not in run.stderr


# --- files that change during the scan ------------------------------------------------------------

@pytest.mark.timeout(240)
def test_tree_mutating_during_a_cli_scan(ws: Path) -> None:
    """2000 files deleted, rewritten, grown, swapped for FIFOs and dirs while the CLI scans them."""
    churn = ws / "churn"
    for d in range(40):
        sub = churn / f"d{d:02d}"
        sub.mkdir(parents=True)
        for f in range(50):
            (sub / f"f{f:02d}.txt").write_text(f"line {f}\n" * 20)
    stop = threading.Event()

    def mutate() -> None:
        rng = random.Random(9)
        files = sorted(churn.rglob("*.txt"))
        while not stop.is_set():
            target = rng.choice(files)
            action = rng.randrange(5)
            try:
                if action == 0:
                    target.unlink()
                elif action == 1 and target.is_file():  # never open a FIFO we made for writing
                    target.write_text("rewritten\n" * rng.randrange(1, 2000))
                elif action == 2:
                    target.unlink()
                    os.mkfifo(target)
                elif action == 3:
                    target.unlink()
                    target.mkdir()
                else:
                    shutil.rmtree(target.parent, ignore_errors=True)
                    target.parent.mkdir(exist_ok=True)
            except OSError:
                pass

    worker = threading.Thread(target=mutate, daemon=True)
    worker.start()
    try:
        runs = [run_credreach("scan", str(ws), "--offline", "-f", "json", cwd=ws,
                              env={"HOME": str(ws)}, timeout=100) for _ in range(3)]
    finally:
        stop.set()
        worker.join()
    for run in runs:
        assert run.returncode in (0, 1), run.stderr
        assert "Traceback" not in run.stderr
        report = json.loads(run.stdout)
        # The file nobody touched is always found.
        assert kinds(report)["github_classic_pat"] == ["app.env"]


class ListSink:
    """A real Sink: collects documents and skips, and runs a hook when a given file is read."""

    def __init__(self, on_document: Callable[[Document], None] | None = None) -> None:
        self.documents: list[Document] = []
        self.skipped: list[tuple[str, str]] = []
        self.warnings: list[str] = []
        self._hook = on_document

    def document(self, doc: Document) -> None:
        self.documents.append(doc)
        if self._hook is not None:
            self._hook(doc)

    def hit(self, hit: Hit) -> None:
        raise AssertionError("the walker reports documents, not hits")

    def skip(self, path: str, reason: str) -> None:
        self.skipped.append((path, reason))

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def texts(self) -> Iterator[str]:
        return (d.text for d in self.documents)


def walk(root: Path, hook: Callable[[Document], None]) -> ListSink:
    sink = ListSink(hook)
    walk_workspace(WalkOptions((str(root),)), sink)
    return sink


@pytest.mark.timeout(60)
def test_file_deleted_after_listing_is_reported_as_vanished(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("first\n")
    (tmp_path / "b.txt").write_text(f"{NPM_TOKEN}\n")
    sink = walk(tmp_path, lambda doc: (tmp_path / "b.txt").unlink() if doc.origin.path.endswith("a.txt") else None)
    assert [p for p, r in sink.skipped if r == "vanished during the scan"] == [str(tmp_path / "b.txt")]


@pytest.mark.timeout(60)
def test_file_swapped_for_a_fifo_after_listing_is_not_opened(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("first\n")
    (tmp_path / "b.txt").write_text("second\n")

    def swap(doc: Document) -> None:
        if doc.origin.path.endswith("a.txt"):
            (tmp_path / "b.txt").unlink()
            os.mkfifo(tmp_path / "b.txt")

    sink = walk(tmp_path, swap)
    assert (str(tmp_path / "b.txt"), "special file (FIFO, socket or device; never opened)") in sink.skipped


@pytest.mark.timeout(60)
def test_directory_swapped_for_an_outside_symlink_is_not_followed(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("first\n")
    (root / "sub" / "inner.txt").write_text("inner\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "private.txt").write_text(f"{OUTSIDE_TOKEN}\n")

    def swap(doc: Document) -> None:  # after the listing of root, before sub is entered
        if doc.origin.path.endswith("a.txt"):
            shutil.rmtree(root / "sub")
            os.symlink(outside, root / "sub")

    sink = walk(root, swap)
    assert not any(OUTSIDE_TOKEN in text for text in sink.texts())
    assert any(path == str(root / "sub") for path, _ in sink.skipped)


@pytest.mark.timeout(60)
def test_file_swapped_for_an_outside_symlink_is_not_read(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "a.txt").write_text("first\n")
    (root / "b.txt").write_text("second\n")
    outside = tmp_path / "private.txt"
    outside.write_text(f"{OUTSIDE_TOKEN}\n")

    def swap(doc: Document) -> None:
        if doc.origin.path.endswith("a.txt"):
            (root / "b.txt").unlink()
            os.symlink(outside, root / "b.txt")

    sink = walk(root, swap)
    assert not any(OUTSIDE_TOKEN in text for text in sink.texts())
    assert any(path == str(root / "b.txt") for path, _ in sink.skipped)


@pytest.mark.timeout(60)
def test_git_failure_is_a_warning(ws: Path) -> None:
    (ws / ".git").mkdir()  # not a repository: git ls-files fails
    (ws / ".git" / "HEAD").write_text("garbage\n")
    report = scan(ws)
    assert "github_classic_pat" in kinds(report)
    assert subprocess.run(["git", "-C", str(ws), "status"], capture_output=True).returncode != 0


@pytest.mark.timeout(120)
def test_hostile_git_config_never_runs_a_program(ws: Path, tmp_path: Path) -> None:
    """A repository's .git/config can name programs (fsmonitor, diff drivers, pager): never run them."""
    from tests.conftest import git

    marker = tmp_path / "pwned"
    git(ws, "init", "-q")
    (ws / ".gitattributes").write_text("*.env diff=evil\n")
    git(ws, "add", ".")
    git(ws, "commit", "-q", "-m", "init")
    for key in ("core.fsmonitor", "diff.external", "core.pager", "diff.evil.textconv", "diff.evil.command",
                "core.sshCommand", "credential.helper"):
        git(ws, "config", key, f"touch {marker}-{key.replace('.', '_')}; false")
    report = scan(ws, "--git-history")
    assert "github_classic_pat" in kinds(report)
    assert not list(tmp_path.glob("pwned*"))
