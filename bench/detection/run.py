"""Detection quality of credreach, detect-secrets and CredSweeper on the labelled corpus, in one run.

    python bench/detection/run.py            # corpus -> bench/.work/detection/, all three tools, scores
    python bench/detection/run.py --only credreach

Each sample is one file (see corpus.py); a tool "flags" a file when it reports any finding in it.
For every tool the scorer prints recall, precision, F1 and FP-rate (flagged negatives / negatives),
overall and per category. CredSweeper is installed on first use into a throwaway venv
(``bench/.venv-peers``, gitignored) so it never touches the project's environment.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
WORK = ROOT / "bench" / ".work" / "detection"
VENV = ROOT / "bench" / ".venv-peers"
sys.path.insert(0, str(HERE))

from corpus import Sample, build  # noqa: E402


def write_corpus(samples: list[Sample], target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for sample in samples:
        (target / sample.name).write_text(sample.text, encoding="utf-8")
    (target.parent / "labels.json").write_text(json.dumps(
        {s.name: {"label": s.label, "category": s.category} for s in samples}, indent=1))


def run_credreach(corpus: Path) -> set[str]:
    with tempfile.TemporaryDirectory() as home:
        run = subprocess.run(
            [sys.executable, "-m", "scanner", "scan", str(corpus), "--offline", "-f", "json", "--no-reach-map",
             "--no-default-excludes"],
            cwd=ROOT, capture_output=True, text=True, env={**os.environ, "HOME": home}, timeout=600)
    report = json.loads(run.stdout)
    return {Path(loc["path"]).name for c in report["credentials"] for loc in c["locations"]}


def run_detect_secrets(corpus: Path) -> set[str]:
    exe = shutil.which("detect-secrets")
    command = [exe] if exe else [sys.executable, "-m", "detect_secrets"]
    run = subprocess.run([*command, "scan", "--all-files", "."], cwd=corpus, capture_output=True, text=True,
                         timeout=600)
    report = json.loads(run.stdout)
    return {Path(name).name for name, found in report["results"].items() if found}


def ensure_credsweeper() -> Path:
    exe = VENV / "bin" / "credsweeper"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", "credsweeper"], check=True)
    return exe


def run_credsweeper(corpus: Path) -> set[str]:
    exe = ensure_credsweeper()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        subprocess.run([str(exe), "--path", str(corpus), "--save-json", str(out), "--jobs", "2"],
                       capture_output=True, text=True, timeout=600, check=False)
        report = json.loads(out.read_text()) if out.exists() else []
    return {Path(line["path"]).name for item in report for line in item.get("line_data_list", [])}


TOOLS = {"credreach": run_credreach, "detect-secrets": run_detect_secrets, "CredSweeper": run_credsweeper}


def scores(flagged: set[str], samples: list[Sample]) -> dict[str, float]:
    tp = sum(1 for s in samples if s.label == "secret" and s.name in flagged)
    fn = sum(1 for s in samples if s.label == "secret" and s.name not in flagged)
    fp = sum(1 for s in samples if s.label == "nonsecret" and s.name in flagged)
    tn = sum(1 for s in samples if s.label == "nonsecret" and s.name not in flagged)
    recall = tp / (tp + fn) if tp + fn else 0.0
    precision = tp / (tp + fp) if tp + fp else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"recall": recall, "precision": precision, "f1": f1, "fp_rate": fp / (fp + tn) if fp + tn else 0.0,
            "tp": tp, "fp": fp, "fn": fn, "tn": tn}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", action="append", choices=sorted(TOOLS))
    args = parser.parse_args()
    samples = build()
    corpus = WORK / "corpus"
    write_corpus(samples, corpus)
    positives = sum(s.label == "secret" for s in samples)
    print(f"corpus: {len(samples)} files ({positives} secret, {len(samples) - positives} nonsecret) in {corpus}")
    results: dict[str, dict[str, float]] = {}
    per_category: dict[str, dict[str, str]] = defaultdict(dict)
    for name in args.only or list(TOOLS):
        started = time.monotonic()
        flagged = TOOLS[name](corpus)
        elapsed = time.monotonic() - started
        results[name] = {**scores(flagged, samples), "seconds": elapsed}
        for category in sorted({s.category for s in samples}):
            subset = [s for s in samples if s.category == category]
            hit = sum(1 for s in subset if s.name in flagged)
            per_category[category][name] = f"{hit}/{len(subset)}"
    print()
    print("| tool | recall | precision | F1 | FP-rate | TP | FP | FN | TN | seconds |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['recall']:.3f} | {r['precision']:.3f} | {r['f1']:.3f} | {r['fp_rate']:.3f} | "
              f"{r['tp']:.0f} | {r['fp']:.0f} | {r['fn']:.0f} | {r['tn']:.0f} | {r['seconds']:.1f} |")
    print()
    label_of = {s.category: s.label for s in samples}
    print("| category (label) | " + " | ".join(results) + " |")
    print("|---|" + "---|" * len(results))
    for category, row in sorted(per_category.items()):
        print(f"| {category} ({label_of[category]}) | " + " | ".join(row[n] for n in results) + " |")
    print("\n(flagged files / files in the category: higher is better for secret, lower for nonsecret)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
