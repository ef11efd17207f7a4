"""Benchmark credreach against peer secret scanners on the same files, in one run.

Subcommands (everything lands in ``bench/.work/``, which is gitignored):

``setup``
    Install the peers into bench-local places, never into the project's environment:
    detect-secrets (same version as credreach uses) and CredSweeper into ``.work/venv``,
    secretlint with its recommended preset into ``.work/node``.
``corpus``
    Build the corpora (see ``build_corpus.py``).
``run``
    Run every tool over every corpus, one after the other, and print per tool: wall time, CPU
    time (user+sys of the tool and all its child processes, from ``wait4``), peak RSS of the
    whole process tree (sampled every 50 ms from /proc), MB/s (corpus bytes / wall time, the
    same numerator for everyone) and credreach's throughput divided by the tool's.
``verify``
    Compare detect-secrets' findings through credreach's fast path and exact path on a sample of
    the corpus (the same check tests/test_fast_path.py makes on its small corpus, at scale).

Peers run with their own defaults plus what makes the comparison fair: both cores where the
tool has an option for it (CredSweeper ``--jobs 2``; detect-secrets uses every core by itself),
every file (detect-secrets ``--all-files``; credreach ``--no-default-excludes`` and a size limit
above the largest corpus file), offline (credreach ``--offline``; the peers make no calls).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / ".work"
CORPUS = WORK / "corpus"
VENV = WORK / "venv"
NODE = WORK / "node"
SECRETLINTRC = WORK / "secretlintrc.json"
PAGE = os.sysconf("SC_PAGE_SIZE")


# --- setup -------------------------------------------------------------------------------------

def setup() -> None:
    import detect_secrets  # the version credreach itself runs

    ds_version = _version_of("detect-secrets") or getattr(detect_secrets, "VERSION", "")
    WORK.mkdir(parents=True, exist_ok=True)
    if not (VENV / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    pins = ["credsweeper", f"detect-secrets=={ds_version}" if ds_version else "detect-secrets"]
    subprocess.run([str(VENV / "bin" / "pip"), "install", "--quiet", *pins], check=True)
    NODE.mkdir(parents=True, exist_ok=True)
    if not (NODE / "package.json").exists():
        (NODE / "package.json").write_text('{"name": "credreach-bench-peers", "private": true}\n')
    subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "secretlint",
                    "@secretlint/secretlint-rule-preset-recommend"], cwd=NODE, check=True)
    SECRETLINTRC.write_text(json.dumps({"rules": [{"id": "@secretlint/secretlint-rule-preset-recommend"}]}))
    print("peers installed under", WORK)


def _version_of(dist: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


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
    note: str = ""
    mb_per_s: float = 0.0
    ratio: float | None = None
    command: list[str] = field(default_factory=list)


def measure(command: list[str], cwd: Path, env: dict[str, str], stdout_path: Path) -> tuple[float, float, int, int]:
    """(wall seconds, CPU seconds of the tree, peak tree RSS bytes, exit code)."""
    peak = 0
    done = threading.Event()
    with stdout_path.open("wb") as out, (stdout_path.with_suffix(".stderr")).open("wb") as err:
        started = time.monotonic()
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, tree_rss(proc.pid))
                done.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - started
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    peak = max(peak, usage.ru_maxrss * 1024)  # the largest single process, if sampling missed it
    return wall, cpu, peak, proc.returncode


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
    """Scans git history (the workspace corpus's history row) rather than files."""


def _credreach(extra: tuple[str, ...] = ()) -> Callable[[Path, Path], list[str]]:
    def command(corpus: Path, out: Path) -> list[str]:
        return [sys.executable, "-m", "scanner", "scan", str(corpus), "--offline", "--format", "json",
                "--output", str(out), "--no-default-excludes", "--max-file-size", "256MB", *extra]
    return command


def _credreach_findings(out: Path) -> int | None:
    try:
        report = json.loads(out.read_text())
    except (OSError, ValueError):
        return None
    return sum(len(c.get("locations", [])) for c in report.get("credentials", []))


def _ds_findings(out: Path) -> int | None:
    try:
        return sum(len(v) for v in json.loads(out.read_text()).get("results", {}).values())
    except (OSError, ValueError):
        return None


def _cs_findings(out: Path) -> int | None:
    try:
        return len(json.loads(out.read_text()))
    except (OSError, ValueError):
        return None


def _sl_findings(out: Path) -> int | None:
    try:
        return sum(len(f.get("messages", [])) for f in json.loads(out.read_text()))
    except (OSError, ValueError):
        return None


def tools() -> list[Tool]:
    python_env = {"PYTHONPATH": str(ROOT), "HOME": str(WORK / "home")}
    return [
        Tool("credreach", _credreach(), _credreach_findings, env=python_env),
        Tool("credreach (1 worker)", _credreach(), _credreach_findings,
             env={**python_env, "CREDREACH_WORKERS": "1"}),
        Tool("detect-secrets", lambda c, o: [str(VENV / "bin" / "detect-secrets"), "scan", "--all-files",
                                              "--exclude-files", r"(^|/)\.git/", "."],
             _ds_findings, cwd_is_corpus=True),
        Tool("CredSweeper", lambda c, o: [str(VENV / "bin" / "credsweeper"), "--path", str(c),
                                           "--save-json", str(o), "--jobs", "2", "--log", "ERROR"],
             _cs_findings),
        Tool("secretlint", lambda c, o: [str(NODE / "node_modules" / ".bin" / "secretlint"), "--secretlintrc",
                                          str(SECRETLINTRC), "--format", "json", "--output", str(o), "**/*"],
             _sl_findings, cwd_is_corpus=True),
        Tool("credreach --git-history", _credreach(("--git-history",)), _credreach_findings,
             env=python_env, history=True),
        Tool("CredSweeper --git", lambda c, o: [str(VENV / "bin" / "credsweeper"), "--git", str(c),
                                                 "--save-json", str(o), "--jobs", "2", "--log", "ERROR"],
             _cs_findings, history=True),
    ]


# --- run ---------------------------------------------------------------------------------------

def run(corpora: list[str], only: list[str] | None, skip: list[str]) -> None:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    outdir = WORK / "results" / stamp
    outdir.mkdir(parents=True, exist_ok=True)
    (WORK / "home").mkdir(exist_ok=True)
    results: list[Measurement] = []
    for corpus_name in corpora:
        root = CORPUS / corpus_name
        if not root.is_dir():
            sys.exit(f"no corpus at {root}: run `python bench/run.py corpus` first")
        files, size = corpus_bytes(root)
        print(f"\n## {corpus_name}: {files} files, {size / 1e6:.1f} MB", flush=True)
        for tool in tools():
            if only and tool.name not in only or tool.name in skip:
                continue
            if tool.history and corpus_name != "workspace":
                continue
            out = outdir / f"{corpus_name}-{tool.name.replace(' ', '_').replace('(', '').replace(')', '')}.json"
            command = tool.command(root, out)
            env = {**os.environ, **tool.env}
            stdout_path = out if tool.name == "detect-secrets" else out.with_suffix(".stdout")
            print(f"  {tool.name} ...", end="", flush=True)
            wall, cpu, peak, code = measure(command, root if tool.cwd_is_corpus else ROOT, env, stdout_path)
            result = Measurement(tool.name, corpus_name, wall, cpu, peak, code, tool.findings(out),
                                 command=command)
            result.mb_per_s = size / 1e6 / wall
            print(f" {wall:.1f} s, exit {code}", flush=True)
            results.append(result)
        _ratios([r for r in results if r.corpus == corpus_name])
        print(table([r for r in results if r.corpus == corpus_name]), flush=True)
    (outdir / "results.json").write_text(json.dumps([asdict(r) for r in results], indent=2))
    report = "\n".join([_machine()] + [f"\n### {name}\n\n" + table([r for r in results if r.corpus == name])
                                       for name in corpora])
    (outdir / "results.md").write_text(report)
    print(f"\nresults in {outdir}")


def _ratios(results: list[Measurement]) -> None:
    def history(r: Measurement) -> bool:
        return r.tool.endswith(("--git", "--git-history"))

    ours = {history(r): r for r in results if r.tool in ("credreach", "credreach --git-history")}
    for r in results:
        mine = ours.get(history(r))
        if mine is not None and r is not mine and r.wall > 0:
            r.ratio = r.wall / mine.wall  # credreach MB/s ÷ peer MB/s, on the same bytes


def table(results: list[Measurement]) -> str:
    lines = ["| tool | wall s | CPU s | peak RSS MB | MB/s | credreach ÷ tool | findings | exit |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        ratio = f"{r.ratio:.1f}x" if r.ratio is not None else "—"
        findings = "?" if r.findings is None else str(r.findings)
        lines.append(f"| {r.tool} | {r.wall:.1f} | {r.cpu:.1f} | {r.peak_rss / 1e6:.0f} | {r.mb_per_s:.2f} | "
                     f"{ratio} | {findings} | {r.exit_code} |")
    return "\n".join(lines)


def _machine() -> str:
    def version(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout.strip().splitlines()[0]
        except (OSError, IndexError, subprocess.SubprocessError):
            return "?"

    return "\n".join([
        f"- machine: {os.cpu_count()} CPUs, {platform.machine()}, Linux {platform.release()}, "
        f"Python {platform.python_version()}",
        f"- detect-secrets {version([str(VENV / 'bin' / 'detect-secrets'), '--version'])}, "
        f"CredSweeper {version([str(VENV / 'bin' / 'credsweeper'), '--version'])}, "
        f"secretlint {version([str(NODE / 'node_modules' / '.bin' / 'secretlint'), '--version'])}",
    ])


# --- verify ------------------------------------------------------------------------------------

def verify(corpora: list[str], every: int, max_file: int) -> None:
    sys.path.insert(0, str(ROOT))
    from scanner.detect import ds_plugins
    from scanner.sources.base import decode, looks_binary

    files = mismatches = findings = 0
    fast_s = exact_s = 0.0
    for corpus_name in corpora:
        for dirpath, dirnames, filenames in os.walk(CORPUS / corpus_name):
            dirnames[:] = sorted(d for d in dirnames if d != ".git")
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
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
    sub.add_parser("setup", help="install the peer scanners under bench/.work")
    corpus = sub.add_parser("corpus", help="build the corpora (build_corpus.py)")
    corpus.add_argument("--force", action="store_true")
    runner = sub.add_parser("run", help="run every tool on every corpus and print the table")
    runner.add_argument("--corpus", action="append", choices=("registry", "workspace"))
    runner.add_argument("--only", action="append", help="run only this tool (repeatable)")
    runner.add_argument("--skip", action="append", default=[], help="skip this tool (repeatable)")
    checker = sub.add_parser("verify", help="fast path vs exact path on a corpus sample")
    checker.add_argument("--corpus", action="append", choices=("registry", "workspace"))
    checker.add_argument("--every", type=int, default=10, help="check one file in N (default 10)")
    checker.add_argument("--max-file", type=int, default=1 << 20, help="skip larger files (bytes)")
    args = parser.parse_args()
    if args.cmd == "setup":
        setup()
    elif args.cmd == "corpus":
        subprocess.run([sys.executable, str(BENCH / "build_corpus.py"), *(["--force"] if args.force else [])],
                       check=True)
    elif args.cmd == "run":
        if shutil.which("node") is None:
            print("note: node not found; secretlint will fail", file=sys.stderr)
        run(args.corpus or ["workspace", "registry"], args.only, args.skip)
    else:
        verify(args.corpus or ["registry", "workspace"], args.every, args.max_file)


if __name__ == "__main__":
    main()
