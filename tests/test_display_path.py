"""``display_path`` without ``os.path.relpath``: the same answer as the relpath form it replaced.

The walker shows every path relative to the working directory when it lies inside it. relpath
splits both paths per call (the walk's largest own cost on a tree outside the working directory);
the prefix form must answer exactly what the original answered, odd paths included.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.sources.base import printable
from scanner.sources.files import display_path


def _relpath_form(path: str) -> str:
    cwd = os.getcwd()
    absolute = os.path.normpath(path if os.path.isabs(path) else os.path.join(cwd, path))
    prefix = cwd.rstrip(os.sep) + os.sep
    rel = absolute[len(prefix):] if absolute.startswith(prefix) else os.path.relpath(path)
    return printable(path if rel.startswith("..") else rel)


PARTS = st.sampled_from(["a", "b", "..", ".", "..x", "tmp", "ws", "", "x y", "\udcff", "deep"])
PATHS = st.tuples(st.sampled_from(["", "/", "./", "//", "../"]), st.lists(PARTS, min_size=1, max_size=6)) \
    .map(lambda t: t[0] + "/".join(t[1]))


@pytest.fixture(params=["root", "tmp", "nested"])
def cwd(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = {"root": Path("/"), "tmp": tmp_path, "nested": tmp_path / "ws" / "deep"}[request.param]
    where.mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(where)
    return where


def test_display_path_matches_the_relpath_form(cwd: Path) -> None:
    @settings(max_examples=400, deadline=None)
    @given(PATHS)
    def check(path: str) -> None:
        if path:
            assert display_path(path) == _relpath_form(path)

    check()
    assert display_path(str(cwd / "a" / "b.txt")) == ("a/b.txt" if str(cwd) != "/" else str(cwd / "a/b.txt")[1:])
