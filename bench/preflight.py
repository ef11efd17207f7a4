"""Is `credreach preflight` fast enough to run before every agent session?

Times the real command, as a process, on a typical workspace plus a home directory:

* workspace: a fresh clone of this repository (a few hundred source files and their git history,
  plus a gitignored ``.env``), or ``--workspace DIR`` (e.g. ``bench/.work/corpus/workspace`` after
  ``python bench/run.py corpus``);
* home: ``fixtures/machines/dev-laptop/home`` (one credential in each store format);
* ``--offline``, so the number measures credreach, not a provider's API latency.

Prints wall time (median and worst of ``--runs``), CPU time and peak RSS of the process.

    python bench/preflight.py [--workspace DIR] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import corpus_bytes  # noqa: E402  (bench/ is a folder of scripts, not a package)

ROOT = Path(__file__).resolve().parent.parent
HOME = ROOT / "fixtures" / "machines" / "dev-laptop" / "home"


def run_once(workspace: Path) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, peak RSS KiB) of one preflight, child processes included."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(HOME), "PYTHONPATH": str(ROOT), "LANG": "C.UTF-8"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "scanner", "preflight", str(workspace), "--home-dir", str(HOME),
                           "--offline", "--no-env", "-f", "json", "--fail-on", "none"],
                          env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"preflight failed ({proc.returncode}): {proc.stderr.strip()[:300]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workspace", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="credreach-preflight-bench-") as tmp:
        if args.workspace is None:
            args.workspace = Path(tmp) / "credreach"
            subprocess.run(["git", "clone", "-q", str(ROOT), str(args.workspace)], check=True)
            (args.workspace / ".env").write_text("RAILWAY_TOKEN=5f3c1a2b-9d8e-4f7a-b6c5-1e2d3f4a5b6c\n")
        measure(args.workspace, args.runs)


def measure(workspace: Path, runs: int) -> None:
    files, size = corpus_bytes(workspace)
    commits = subprocess.run(["git", "-C", str(workspace), "rev-list", "--all", "--count"],
                             capture_output=True, text=True, check=False).stdout.strip() or "0"
    walls: list[float] = []
    cpus: list[float] = []
    peak = 0
    for _ in range(runs):
        wall, cpu, rss = run_once(workspace)
        walls.append(wall)
        cpus.append(cpu)
        peak = max(peak, rss)
    print(f"workspace: {workspace.name} ({files} files, {size / 1e6:.1f} MB, {commits} commits) + home: dev-laptop")
    print("| runs | wall median | wall worst | CPU median | peak RSS (largest process) |")
    print("| --- | --- | --- | --- | --- |")
    print(f"| {runs} | {statistics.median(walls):.2f} s | {max(walls):.2f} s | "
          f"{statistics.median(cpus):.2f} s | {peak / 1024:.0f} MB |")


if __name__ == "__main__":
    main()
