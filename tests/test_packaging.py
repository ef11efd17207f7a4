"""Issue 13.9: what `pip install .` ships works on its own.

The wheel is built from this tree and installed into an empty directory; the demo then runs from
there, in a directory outside the repository, with only the installed files and the runtime
dependencies on the path (``python -S``: no ``.pth`` processing, so the editable install of the
working tree cannot stand in for the wheel).
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", str(PROJECT_ROOT), "--no-deps",
                            "--no-build-isolation", "-q", "-w", str(out)],
                           capture_output=True, text=True, timeout=300, cwd=out)
    assert build.returncode == 0, build.stderr[-2000:]
    (found,) = out.glob("credreach-*.whl")
    return found


def test_wheel_ships_the_fakes_inside_the_package_and_a_license(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert sorted({n.split("/")[0] for n in names if not n.startswith("credreach-")}) == [
        "credreach", "providers", "scanner"]  # no top-level `fixtures` or `tests`
    assert "credreach/fakes/railway.py" in names and "credreach/fakes/_server.py" in names
    assert any(n.endswith(".dist-info/LICENSE") for n in names)
    entry = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "credreach = scanner.guard._console:main" in entry


def test_installed_wheel_runs_the_demo_outside_the_repository(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "installed"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                              str(target), str(wheel)], capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr[-2000:]
    deps = [p for p in site.getsitepackages() if os.path.isdir(p)]
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "LANG": "C.UTF-8",
           "PYTHONPATH": os.pathsep.join([str(target), *deps])}
    run = subprocess.run([sys.executable, "-S", "-m", "credreach", "demo", "-f", "json"], cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    probe = subprocess.run([sys.executable, "-S", "-c", "import scanner, credreach.fakes; "
                            "print(scanner.__file__); print(credreach.fakes.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert all(line.startswith(str(target)) for line in probe.stdout.split()), probe.stdout
    report = json.loads(run.stdout)
    railway = [c for c in report["credentials"] if c["provider"] == "railway"]
    assert any(c["severity"] == "critical" for c in railway)
