"""Issue 17: compiled Hyperscan databases are kept on disk and loaded next time, safely.

Real Hyperscan databases, real files in a temporary cache directory: a second compile of the same
expressions loads the stored bytes and matches exactly like a fresh compile; a damaged, foreign or
linked cache file is never trusted nor written through; ``off`` writes nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scanner.detect import hscache

hyperscan = pytest.importorskip("hyperscan")

EXPRESSIONS = [rb"ghp_[A-Za-z0-9]{36}", rb"AKIA[0-9A-Z]{16}", rb"xox[bp]-[0-9]{8,}"]
FLAGS = [hyperscan.HS_FLAG_SINGLEMATCH] * len(EXPRESSIONS)
TEXT = b"a = 'ghp_" + b"a" * 36 + b"'\nkey AKIA" + b"B" * 16 + b"\nnothing xoxb-12\n"
EXPECTED = [(0, TEXT.index(b"'\n")), (1, TEXT.index(b"\nnothing"))]
"""(pattern, end offset) of the two matches; the Slack pattern needs 8 digits and has 2."""


def _matches(database: object) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []

    def on_match(index: int, start: int, end: int, flags: int, context: object) -> None:
        found.append((index, end))

    database.scan(TEXT, match_event_handler=on_match, scratch=hyperscan.Scratch(database))  # type: ignore[attr-defined]
    return found


def _cache_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.hsdb")) if directory.exists() else []


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache" / "hyperscan"
    monkeypatch.setenv(hscache.CACHE_ENV, str(directory))
    return directory


def test_second_compile_loads_the_stored_database_and_matches_the_same(cache: Path) -> None:
    fresh = hscache.compile_block_database(hyperscan, EXPRESSIONS, FLAGS)
    [stored] = _cache_files(cache)
    assert stored.stat().st_mode & 0o777 == 0o600
    written = stored.stat().st_mtime_ns
    loaded = hscache.compile_block_database(hyperscan, EXPRESSIONS, FLAGS)
    assert stored.stat().st_mtime_ns == written, "a cache hit does not rewrite the file"
    assert _matches(loaded) == _matches(fresh) == EXPECTED


def test_a_different_expression_list_gets_its_own_file(cache: Path) -> None:
    hscache.compile_block_database(hyperscan, EXPRESSIONS, FLAGS)
    hscache.compile_block_database(hyperscan, EXPRESSIONS[:2], FLAGS[:2])
    other_flags = [0] * len(EXPRESSIONS)
    hscache.compile_block_database(hyperscan, EXPRESSIONS, other_flags)
    assert len(_cache_files(cache)) == 3


@pytest.mark.parametrize("damage", ["flip_a_byte", "truncate", "foreign_bytes"])
def test_a_damaged_cache_file_is_ignored_and_replaced(cache: Path, damage: str) -> None:
    hscache.compile_block_database(hyperscan, EXPRESSIONS, FLAGS)
    [stored] = _cache_files(cache)
    data = bytearray(stored.read_bytes())
    if damage == "flip_a_byte":
        data[len(data) // 2] ^= 0xFF
    elif damage == "truncate":
        del data[len(data) // 2:]
    else:  # a valid checksum over bytes Hyperscan refuses
        import hashlib

        body = b"not a hyperscan database" * 10
        data = bytearray(hashlib.sha256(body).digest() + body)
    stored.write_bytes(bytes(data))
    database = hscache.compile_block_database(hyperscan, EXPRESSIONS, FLAGS)
    assert _matches(database) == EXPECTED
    assert stored.read_bytes() != bytes(data), "the damaged file was replaced by a good one"
    assert _matches(hscache.compile_block_database(hyperscan, EXPRESSIONS, FLAGS)) == EXPECTED


def test_a_link_at_the_cache_path_is_neither_read_nor_written_through(cache: Path, tmp_path: Path) -> None:
    cache.mkdir(parents=True)
    victim = tmp_path / "victim.txt"
    victim.write_text("the user's file\n")
    key = hscache.database_key(hyperscan, EXPRESSIONS, FLAGS)
    (cache / f"{key}.hsdb").symlink_to(victim)
    database = hscache.compile_block_database(hyperscan, EXPRESSIONS, FLAGS)
    assert _matches(database) == EXPECTED
    assert victim.read_text() == "the user's file\n"
    assert (cache / f"{key}.hsdb").is_symlink()


def test_off_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(hscache.CACHE_ENV, "off")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert hscache.cache_directory() is None
    database = hscache.compile_block_database(hyperscan, EXPRESSIONS, FLAGS)
    assert _matches(database) == EXPECTED
    assert not any(tmp_path.rglob("*.hsdb"))


def test_default_location_is_the_users_cache_directory(tmp_path: Path) -> None:
    assert hscache.cache_directory({"HOME": str(tmp_path)}) == os.path.join(str(tmp_path), ".cache",
                                                                           "credreach", "hyperscan")
    assert hscache.cache_directory({"XDG_CACHE_HOME": "/x", "HOME": "/h"}) == "/x/credreach/hyperscan"


def test_an_unwritable_cache_directory_costs_only_the_compile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("")
    monkeypatch.setenv(hscache.CACHE_ENV, str(blocker / "hyperscan"))
    database = hscache.compile_block_database(hyperscan, EXPRESSIONS, FLAGS)
    assert _matches(database) == EXPECTED


def test_a_scan_with_a_warm_cache_reports_what_a_cold_one_does(tmp_path: Path) -> None:
    from tests.conftest import run_credreach

    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "app.env").write_text("GITHUB_TOKEN=ghp_" + "Ab1" * 12 + "\npassword = 'Xy7#kq92LmZ0pq'\n")
    env = {"HOME": str(tmp_path / "home"), hscache.CACHE_ENV: str(tmp_path / "hs")}
    runs = [run_credreach("scan", str(tmp_path / "ws"), "--offline", "--format", "json", "--no-reach-map",
                          env=env) for _ in range(2)]
    assert len(_cache_files(tmp_path / "hs")) >= 3
    reports = [r.json() for r in runs]
    for report in reports:
        report["scan"].pop("duration_seconds")
    assert reports[0]["credentials"] and reports[0] == reports[1]
