"""scanner.safe_io and scanner.subproc against real files, links, FIFOs and processes."""

from __future__ import annotations

import os
import stat
import sys
import time
from pathlib import Path

import pytest

from scanner import subproc
from scanner.safe_io import (
    SKIP_CONFIG_OUTSIDE,
    TEMP_SUFFIX,
    UnsafePath,
    atomic_write_bytes,
    atomic_write_text,
    check_writable,
    read_config,
)


def test_write_creates_and_replaces_regular_files(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    atomic_write_text(str(target), "one\n")
    assert target.read_text() == "one\n"
    target.chmod(0o600)
    atomic_write_bytes(str(target), b"two\n")
    assert target.read_bytes() == b"two\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # an existing file keeps its mode
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temp file left behind


def test_a_link_at_the_target_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    victim = tmp_path / "bashrc"
    victim.write_text("# user's own\n")
    link = tmp_path / "ws" / "credreach.sarif"
    link.parent.mkdir()
    os.symlink(victim, link)
    with pytest.raises(UnsafePath, match="symbolic link"):
        atomic_write_text(str(link), "{}\n")
    with pytest.raises(UnsafePath, match="symbolic link"):
        check_writable(str(link))
    assert victim.read_text() == "# user's own\n"
    assert link.is_symlink()


def test_planted_links_at_predictable_temp_names_are_never_written_through(tmp_path: Path) -> None:
    victim = tmp_path / "bashrc"
    victim.write_text("# user's own\n")
    ws = tmp_path / "ws"
    ws.mkdir()
    # the names the old code used, and a guess at ours
    for name in (".cursorignore.credreach-tmp", f"..cursorignore.{'0' * 16}{TEMP_SUFFIX}"):
        os.symlink(victim, ws / name)
    atomic_write_text(str(ws / ".cursorignore"), "/.env\n")
    assert victim.read_text() == "# user's own\n"
    assert (ws / ".cursorignore").read_text() == "/.env\n"
    assert not (ws / ".cursorignore").is_symlink()


def test_directory_linked_out_of_the_allowed_root_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    ws = tmp_path / "ws"
    ws.mkdir()
    os.symlink(outside, ws / ".claude")
    with pytest.raises(UnsafePath, match="outside"):
        atomic_write_text(str(ws / ".claude" / "settings.json"), "{}", allowed_root=str(ws), make_dirs=True)
    assert list(outside.iterdir()) == []


def test_make_dirs_creates_missing_directories_inside_the_root(tmp_path: Path) -> None:
    atomic_write_text(str(tmp_path / "a" / "b" / "f.txt"), "x", allowed_root=str(tmp_path), make_dirs=True)
    assert (tmp_path / "a" / "b" / "f.txt").read_text() == "x"


@pytest.mark.timeout(60)
def test_fifo_and_directory_targets_are_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "out.sarif"
    os.mkfifo(fifo)
    with pytest.raises(UnsafePath, match="not a regular file"):
        atomic_write_text(str(fifo), "{}")
    with pytest.raises(UnsafePath, match="not a regular file"):
        check_writable(str(tmp_path))
    with pytest.raises(UnsafePath, match="does not exist"):
        check_writable(str(tmp_path / "missing-dir" / "out.json"))


def test_read_config_refuses_links_out_of_its_root(tmp_path: Path) -> None:
    secret = tmp_path / "home" / ".ssh" / "id_ed25519"
    secret.parent.mkdir(parents=True)
    secret.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    ws = tmp_path / "ws"
    ws.mkdir()
    os.symlink(secret, ws / ".cursorignore")
    (ws / "inside.txt").write_text("/.env\n")
    os.symlink(ws / "inside.txt", ws / ".aiderignore")
    assert read_config(str(ws / ".cursorignore"), (str(ws),)) == SKIP_CONFIG_OUTSIDE
    assert read_config(str(ws / ".aiderignore"), (str(ws),)) == b"/.env\n"


@pytest.mark.timeout(60)
def test_subprocess_run_is_killed_with_its_group_at_the_deadline(tmp_path: Path) -> None:
    marker = tmp_path / "grandchild-alive"
    grandchild = tmp_path / "grandchild.py"
    grandchild.write_text(f"import time\ntime.sleep(3)\nopen({str(marker)!r}, 'w').close()\n")
    child = tmp_path / "child.py"  # starts the grandchild, then sleeps far past the deadline
    child.write_text(f"import subprocess, sys, time\nsubprocess.Popen([sys.executable, {str(grandchild)!r}])\n"
                     "time.sleep(600)\n")
    started = time.monotonic()
    with pytest.raises(subproc.SubprocessTimeout, match="did not finish within 1s"):
        subproc.run([sys.executable, str(child)], timeout=1)
    assert time.monotonic() - started < 30
    time.sleep(4)
    assert not marker.exists()  # the whole process group was killed


@pytest.mark.timeout(60)
def test_stream_stops_a_silent_child_but_not_a_slow_reader() -> None:
    silent = [sys.executable, "-c", "import sys, time; sys.stdout.write('a\\n'); sys.stdout.flush(); time.sleep(600)"]
    with subproc.Stream(silent, idle_timeout=1, timeout=30) as proc:
        assert proc.readline() == b"a\n"
        with pytest.raises(subproc.SubprocessTimeout, match="no output for 1s"):
            proc.readline()
    talker = [sys.executable, "-c", "print('x' * 10); print('y')"]
    with subproc.Stream(talker, idle_timeout=1, timeout=30) as proc:
        time.sleep(2)  # the caller is slow: not an idle child
        assert proc.read_exact(11) == b"x" * 10 + b"\n"
        assert proc.readline() == b"y\n"
        assert proc.readline() == b""
        assert proc.wait() == 0


def test_missing_program_is_a_clear_error() -> None:
    with pytest.raises(subproc.ProgramMissing, match="not installed"):
        subproc.run(["credreach-no-such-program-xyz"], timeout=5)
