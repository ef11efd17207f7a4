"""Issue 17: work-tree files are hashed by a thread running ahead of the blob stream.

Labelling a history blob (still in the work tree, or history-only) hashes the work-tree file at
its path; :class:`LabelsAhead` does that on a second thread while the blobs stream. It must give
the same answers in the same order, let the stream skip a key (a missing blob), pass a failure to
the caller, keep memory bounded, and never leave its thread behind when the stream ends early.
"""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import pytest

from scanner.sources.git import LabelsAhead, WorktreeIndex


def _blob_id(path: Path) -> str:
    return subprocess.run(["git", "hash-object", "--no-filters", str(path)], check=True, capture_output=True,
                          text=True).stdout.strip()


def test_labels_match_hashing_each_file_in_order_and_come_from_another_thread(tmp_path: Path) -> None:
    for number in range(40):
        (tmp_path / f"f{number}.txt").write_text(f"content {number}\n" * (number + 1))
    index = WorktreeIndex(str(tmp_path))
    blobs = {f"f{n}.txt": _blob_id(tmp_path / f"f{n}.txt") for n in range(40)}
    sizes = {f"f{n}.txt": (tmp_path / f"f{n}.txt").stat().st_size for n in range(40)}
    (tmp_path / "f7.txt").write_text("CONTENT 7\n" * 8)  # same path and size, other content: hashed
    keys = list(blobs)
    threads: set[str] = set()

    def label(path: str) -> bool:
        threads.add(threading.current_thread().name)
        return index.contains(path, blobs[path], sizes[path])

    labels = LabelsAhead(keys, label)
    try:
        answers = [labels.get(key) for key in keys]
    finally:
        labels.close()

    assert answers == [key != "f7.txt" for key in keys]
    assert threads == {"credreach-worktree-labels"}


def test_keys_the_stream_never_asks_for_are_passed_over() -> None:
    labels = LabelsAhead([f"k{n}" for n in range(10)], lambda key: int(key[1:]) % 2 == 0)
    try:
        assert [labels.get(key) for key in ("k1", "k2", "k5", "k8")] == [False, True, False, True]
    finally:
        labels.close()


def test_a_failing_label_is_raised_to_the_caller_at_its_key() -> None:
    def label(key: str) -> bool:
        if key == "bad":
            raise OSError("cannot read")
        return True

    labels = LabelsAhead(["a", "bad", "c"], label)
    try:
        assert labels.get("a") is True
        with pytest.raises(OSError, match="cannot read"):
            labels.get("bad")
        assert labels.get("c") is True
    finally:
        labels.close()


def test_memory_stays_bounded_and_closing_early_ends_the_thread() -> None:
    computed: list[str] = []

    def label(key: str) -> bool:
        computed.append(key)
        return True

    labels = LabelsAhead([str(n) for n in range(100_000)], label, ahead=16)
    assert labels.get("0") is True
    deadline = time.monotonic() + 5
    while len(computed) < 18 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    assert len(computed) <= 18  # one taken, 16 waiting, one blocked on the full queue
    labels.close()
    assert labels._thread is not None and not labels._thread.is_alive()
    assert len(computed) < 100
