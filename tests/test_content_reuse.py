"""Issue 17: a document whose content was already detected is not detected again.

A HEAD blob is byte-for-byte the work-tree file the walk just scanned; vendored copies repeat
across a tree. Their hits are reused at their own location, so the report is exactly what
detecting each copy would give, and detection runs once (the history row of bench/run.py).
"""

from __future__ import annotations

from pathlib import Path

from scanner.detect.engine import detect
from scanner.pipeline import ScanOptions, collect, content_key
from scanner.sources.base import Document
from tests.conftest import git

TOKEN = "npm_" + "Aa1Bb2Cc3Dd4Ee5Ff6Gg7Hh8Ii9Jj0Kk1Ll2"
TEXT = f"# config\nname = 'app'\nNPM_TOKEN = '{TOKEN}'\n"


def _locations(sink) -> set[tuple[str, str, int | None, int | None]]:  # type: ignore[no-untyped-def]
    return {(h.location.source.value, h.location.path.rsplit("/", 1)[-1], h.location.line, h.location.column)
            for h in sink.hits if h.secret == TOKEN}


def test_head_blob_reuses_the_work_tree_files_hits_at_its_own_location(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "settings.py").write_text(TEXT)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "add")
    sink = collect(ScanOptions(roots=(str(repo),), git_history=True, offline=True))
    assert sink.reused >= 1
    found = _locations(sink)
    assert ("workspace", "settings.py", 3, 14) in found
    history = [loc for loc in found if loc[0] == "git-history"]
    assert [(loc[2], loc[3]) for loc in history] == [(3, 14)]
    assert history[0][1].endswith("settings.py")


def test_copies_are_reused_but_a_different_file_name_is_detected_on_its_own(tmp_path: Path) -> None:
    for name in ("a/settings.py", "b/settings.py", "c/package-lock.json"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(TEXT)
    sink = collect(ScanOptions(roots=(str(tmp_path),), offline=True))
    assert sink.reused == 1  # b/settings.py; package-lock.json differs by name (detect-secrets' lock-file rule)
    found = _locations(sink)
    assert {loc for loc in found if loc[1] == "settings.py"} == {("workspace", "settings.py", 3, 14)}
    # Whatever the lock file yields is what detection gives it on its own.
    lock = next(p for p in tmp_path.rglob("package-lock.json"))
    origin = next(h.location for h in sink.hits if h.location.path.endswith("package-lock.json")) \
        if any(h.location.path.endswith("package-lock.json") for h in sink.hits) else None
    alone = detect(Document(TEXT, origin or sink_origin(lock), len(TEXT)))
    assert sorted(h.secret for h in alone if h.filtered_by is None) == sorted(
        h.secret for h in sink.hits if h.location.path.endswith("package-lock.json"))


def sink_origin(path: Path):  # type: ignore[no-untyped-def]
    from scanner.model import Location, SourceKind

    return Location(path=str(path), line=None, column=None, source=SourceKind.WORKSPACE)


def test_fragments_and_environment_documents_are_never_reused() -> None:
    from scanner.model import Location, SourceKind

    fragment = Document(TEXT, Location(path="x.py", line=10, column=1, source=SourceKind.WORKSPACE), len(TEXT))
    env = Document(TEXT, Location(path="env:X", line=None, column=None, source=SourceKind.ENV), len(TEXT),
                   hosts={"github": "ghe.example"})
    assert content_key(fragment) is None and content_key(env) is None
