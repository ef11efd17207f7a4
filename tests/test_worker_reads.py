"""Issue 17: on a parallel scan the workers read the files the walker vetted, under the same rules.

The walker hands over a FileRef (path, location, size); the file is read where it is detected.
What can change between the walk and the read (the file vanishes, becomes a FIFO, a symlink or
grows past the size limit) is reported as skipped, never opened, never followed; and a parallel
run reports the same hits, skips and warnings, in the same order, as a serial one.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scanner.detect.parallel import FileHits, NotRead, detect_item
from scanner.model import Location, SourceKind
from scanner.pipeline import ScanOptions, collect
from scanner.sources.base import (
    SKIP_REPLACED_BY_SYMLINK,
    SKIP_SPECIAL,
    SKIP_TOO_LARGE,
    SKIP_VANISHED,
    FileRef,
)

TOKEN = "ghp_" + "k3Lm9QzR7vT2wX8yB4nC6dF1gH5jJ0aPsE2u"


def _origin(path: str) -> Location:
    return Location(path=path, line=None, column=None, source=SourceKind.WORKSPACE)


def _ref(path: Path, *, follow: bool = False, max_size: int = 1 << 20) -> FileRef:
    origin = Location(path=str(path), line=None, column=None, source=SourceKind.WORKSPACE)
    return FileRef(str(path), origin, 0, max_size, follow)


def test_a_readable_file_comes_back_with_its_hits_size_and_key(tmp_path: Path) -> None:
    path = tmp_path / "app.env"
    path.write_text(f"GITHUB_TOKEN={TOKEN}\n")
    result = detect_item(_ref(path), True, {})
    assert isinstance(result, FileHits)
    assert [h.secret for h in result if h.filtered_by is None] == [TOKEN]
    assert result.size == path.stat().st_size and result.key is not None and not result.lossy


def test_a_file_gone_since_the_walk_is_reported_vanished(tmp_path: Path) -> None:
    result = detect_item(_ref(tmp_path / "gone.txt"), True, {})
    assert isinstance(result, NotRead) and result.reason == SKIP_VANISHED and list(result) == []


def test_a_fifo_swapped_in_is_never_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = detect_item(_ref(fifo), True, {})  # would block forever if opened for reading
    assert isinstance(result, NotRead) and result.reason == SKIP_SPECIAL


def test_a_symlink_swapped_in_for_a_plain_file_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text(f"token {TOKEN}\n")
    link = tmp_path / "plain.txt"
    link.symlink_to(outside)
    result = detect_item(_ref(link, follow=False), True, {})
    assert isinstance(result, NotRead) and result.reason == SKIP_REPLACED_BY_SYMLINK


def test_a_file_grown_past_the_limit_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("x" * 5000)
    result = detect_item(_ref(path, max_size=1000), True, {})
    assert isinstance(result, NotRead) and result.reason == SKIP_TOO_LARGE


def test_copies_are_detected_once_per_content_map(tmp_path: Path) -> None:
    known: dict[bytes, list] = {}  # type: ignore[type-arg]
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "settings.py").write_text(f"TOKEN = '{TOKEN}'\n")
    first = detect_item(_ref(tmp_path / "a" / "settings.py"), True, known)
    second = detect_item(_ref(tmp_path / "b" / "settings.py"), True, known)
    assert isinstance(first, FileHits) and isinstance(second, FileHits)
    assert not first.reused and second.reused
    assert [h.location.path for h in second] == [str(tmp_path / "b" / "settings.py")] * len(second)
    assert [(h.secret, h.location.line, h.location.column) for h in first] == \
        [(h.secret, h.location.line, h.location.column) for h in second]


def _tree(root: Path) -> None:
    for i in range(60):
        sub = root / f"pkg{i:02d}"
        sub.mkdir(parents=True)
        (sub / "config.py").write_text(f"# {i}\nTOKEN = '{TOKEN[:-2]}{i:02d}'\n" + "x = 1\n" * 200)
        (sub / "blob.bin").write_bytes(b"\x00\x01" * 300)
        (sub / "latin1.txt").write_bytes(b"password = 'caf\xe9-Zq8vR2mK5pL'\n")
    (root / "excluded").mkdir()
    (root / "excluded" / "x.env").write_text(f"GITHUB_TOKEN={TOKEN}\n")


def test_parallel_and_serial_report_the_same_skips_and_warnings_in_the_same_order(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "ws"
    _tree(root)
    options = ScanOptions(roots=(str(root),), offline=True, exclude=("excluded/",))
    monkeypatch.setenv("CREDREACH_WORKERS", "2")
    monkeypatch.setenv("CREDREACH_PARALLEL_MIN_BYTES", "0")
    parallel = collect(options)
    monkeypatch.setenv("CREDREACH_WORKERS", "1")
    serial = collect(options)
    assert len(serial.skipped) == 61 and sum("not valid UTF-8" in w for w in serial.warnings) == 60
    assert serial.hits and parallel.skipped == serial.skipped
    assert parallel.warnings == serial.warnings
    assert [(h.secret, h.location) for h in parallel.hits] == [(h.secret, h.location) for h in serial.hits]
    assert (parallel.files, parallel.bytes) == (serial.files, serial.bytes) == (120, serial.bytes)


def test_history_with_workers_started_early_reports_what_a_serial_run_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from scanner.sources.git import stored_size
    from tests.conftest import git

    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    for i in range(5):
        (repo / f"settings{i}.py").write_text(f"TOKEN = '{TOKEN[:-2]}{i:02d}'\n" + "x = 1\n" * 300)
        git(repo, "add", ".")
        git(repo, "commit", "-q", "-m", f"c{i}")
    (repo / "settings0.py").write_text("TOKEN = None\n")  # the first token now lives in history only
    assert stored_size(str(repo)) > 0
    options = ScanOptions(roots=(str(repo),), offline=True, git_history=True, workspace=False)
    monkeypatch.setenv("CREDREACH_WORKERS", "2")
    monkeypatch.setenv("CREDREACH_PARALLEL_MIN_BYTES", "0")  # prepare() starts the pool before git walks
    parallel = collect(options)
    monkeypatch.setenv("CREDREACH_WORKERS", "1")
    serial = collect(options)
    found = [(h.secret, h.location) for h in serial.hits]
    assert len({secret for secret, _ in found}) == 5
    assert [(h.secret, h.location) for h in parallel.hits] == found
    assert parallel.skipped == serial.skipped and parallel.warnings == serial.warnings
    # Work-tree files are hashed as blobs stream: only the token no longer in the tree is history-only.
    only_in_history = {h.secret for h in serial.hits if h.location.history_only}
    assert only_in_history == {f"{TOKEN[:-2]}00"}


def test_batches_shrink_as_the_known_end_of_the_input_nears() -> None:
    from scanner.detect.parallel import BATCH_BYTES, MIN_BATCH_BYTES, OrderedDetector
    from scanner.sources.base import Document

    detector: OrderedDetector[int] = OrderedDetector(use_detect_secrets=False, workers=2, min_parallel_bytes=0)
    flushed: list[int] = []
    flush = detector._flush_batch

    def recording_flush() -> None:
        if detector._batch:
            flushed.append(detector._batch_bytes)
        flush()

    detector._flush_batch = recording_flush  # type: ignore[method-assign]
    docs = [Document(f"TOKEN = '{TOKEN[:-2]}{i % 100:02d}'\n" + "x = 1\n" * 3500, _origin(f"f{i}.py"), 21006)
            for i in range(160)]
    left = sum(len(doc.text) for doc in docs)
    ready = []
    try:
        for number, doc in enumerate(docs):
            left -= len(doc.text)
            detector.expect(left)
            ready += detector.submit(doc, number)
        ready += detector.finish()
    finally:
        detector.close()
    assert [tag for tag, _ in ready] == list(range(160))  # every result, in order
    assert all(len(hits) == 1 for _, hits in ready)
    size = len(docs[0].text)
    assert max(flushed) <= BATCH_BYTES + size
    assert flushed[-1] <= MIN_BATCH_BYTES + size < max(flushed)  # the last ones are the smallest


def test_stored_size_of_a_directory_without_git_is_zero(tmp_path: Path) -> None:
    from scanner.sources.git import stored_size

    assert stored_size(str(tmp_path)) == 0


def test_size_estimate_counts_regular_files_only_and_stops_when_enough(tmp_path: Path) -> None:
    from scanner.sources.files import estimate_size

    (tmp_path / "a.txt").write_bytes(b"x" * 1000)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_bytes(b"y" * 500)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "pack").write_bytes(b"z" * 10_000)  # history is not the walk's
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "lib.js").write_bytes(b"w" * 10_000)
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "big.bin").write_bytes(b"o" * 50_000)
    (tmp_path / "link").symlink_to(outside)  # never followed
    os.mkfifo(tmp_path / "pipe")  # never opened
    assert estimate_size(str(tmp_path)) == 1500
    assert estimate_size(str(tmp_path), default_excludes=False) == 11_500
    assert estimate_size(str(tmp_path), enough=1000) in (1000, 1500)
