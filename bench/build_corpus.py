"""Build the benchmark corpora from real trees nobody here wrote (one, ``releases``, downloads).

Corpora under ``bench/.work/corpus/`` (gitignored; nothing here is committed):

``small`` / ``medium`` / ``large``
    About 20 MB / 200 MB / 1 GB of regular files copied from the Python ``site-packages`` of
    the environment credreach's tests run in (code, docs, JSON data, the odd binary), plus every
    tree given with ``--tree`` (a clone of gitleaks, trufflehog, ...). Files are taken in a fixed
    pseudo-random order (by SHA-1 of their path) so each corpus mixes every package, and two
    builds hold the same bytes. When the sources hold less than the target (``large``), they are
    copied again under ``copy-N/``: real copies, not links (scanners skip hard-linked
    duplicates). ``__pycache__`` is left out (compiled bytecode, skipped by everyone alike).
``history``
    A git repository whose history is real text: ~60 MB of those files committed in 40 commits,
    every fifth commit also editing files committed before (so blobs have several versions), an
    env file with two obviously fake tokens committed and later deleted. ``--git-history`` rows
    scan it; MB/s there is the bytes of all distinct blobs ÷ wall time.
``releases``
    A real project's own history at release granularity: the last ``--releases`` (12) source
    distributions of ``--package`` (moto: AWS mocks, whose tests hold many credential-shaped
    strings) from PyPI, each committed over the one before (files added, changed and deleted as
    the project did) with the release's upload date. The only corpus that downloads (PyPI's
    JSON API; each archive checked against the SHA-256 PyPI publishes, kept in
    ``.work/sdists/``, extracted with tarfile's ``data`` filter). ``--git-history`` rows scan it.
``redos``
    One 30 KB Go file shaped like gitleaks' ``cmd/generate/config/rules/jwt.go``: valid JWTs in
    backquoted test cases padded with blanks to a ``// gitleaks:allow`` comment. detect-secrets'
    ``is_indirect_reference`` filter takes ~2 s per such line; credreach must not.

Usage: ``python bench/build_corpus.py [--only NAME] [--tree PATH ...] [--package NAME] [--releases N]
[--force]``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sysconfig
import tarfile
import tempfile
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
WORK = BENCH / ".work"
CORPUS = WORK / "corpus"
SIZES = {"small": 20_000_000, "medium": 200_000_000, "large": 1_000_000_000}
HISTORY_BYTES = 60_000_000
HISTORY_COMMITS = 40
MAX_FILE = 64 * 1024 * 1024
RELEASE_PACKAGE = "moto"
RELEASE_COUNT = 12
PYPI_JSON = "https://pypi.org/pypi/{}/json"

FAKE_GH = "ghp_" + "FAKEfakeFAKEfakeFAKEfakeFAKEfake1234"  # assembled: obviously fake, token-shaped
FAKE_AWS_ID = "AKIA" + "IOSFODNN7EXAMPLE"  # AWS's own documentation example


def site_packages() -> Path:
    return Path(sysconfig.get_paths()["purelib"])


def source_files(trees: list[Path]) -> list[tuple[Path, Path, int]]:
    """(tree, file, size) of every regular file in the trees, in a fixed mixed order."""
    found: list[tuple[str, Path, Path, int]] = []
    for tree in trees:
        for dirpath, dirnames, filenames in os.walk(tree):
            dirnames[:] = sorted(d for d in dirnames if d not in {"__pycache__", ".git"})
            for name in filenames:
                path = Path(dirpath) / name
                try:
                    if path.is_symlink() or not path.is_file():
                        continue
                    size = path.stat().st_size
                except OSError:
                    continue
                if size > MAX_FILE:
                    continue
                rel = str(path.relative_to(tree))
                found.append((hashlib.sha1(f"{tree.name}/{rel}".encode()).hexdigest(), tree, path, size))
    found.sort()
    return [(tree, path, size) for _, tree, path, size in found]


def build_sized(name: str, target: int, trees: list[Path], force: bool) -> Path:
    root = CORPUS / name
    if not _fresh(root, force):
        return root
    files = source_files(trees)
    total = copy = 0
    while total < target and files:
        for tree, path, size in files:
            if total >= target:
                break
            prefix = root / (f"copy-{copy}" if copy else "") / tree.name
            destination = prefix / path.relative_to(tree)
            destination.parent.mkdir(parents=True, exist_ok=True)
            try:
                shutil.copyfile(path, destination)
            except OSError:
                continue
            total += size
        copy += 1
    print(f"{name}: {total / 1e6:.1f} MB")
    return root


def git(repo: Path, *args: str, date: str = "2024-01-01T00:00:00Z") -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid",
           "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    subprocess.run(["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args], cwd=repo,
                   env=env, check=True, stdout=subprocess.DEVNULL)


def _fresh(root: Path, force: bool) -> bool:
    """Empty ``root`` for a rebuild (True), or keep an existing corpus unless ``force`` (False)."""
    if root.exists() and not force:
        print(f"{root} exists (use --force to rebuild)")
        return False
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    return True


def build_history(trees: list[Path], force: bool) -> Path:
    root = CORPUS / "history"
    if not _fresh(root, force):
        return root
    git(root, "init", "-q")
    chosen, total = [], 0
    for tree, path, size in source_files(trees):
        if total >= HISTORY_BYTES:
            break
        chosen.append((tree, path))
        total += size
    per_commit = max(1, len(chosen) // HISTORY_COMMITS)
    written: list[Path] = []
    for commit in range(HISTORY_COMMITS):
        for tree, path in chosen[commit * per_commit:(commit + 1) * per_commit]:
            destination = root / tree.name / path.relative_to(tree)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
            written.append(destination)
        if commit % 5 == 4:  # edit earlier text files: more versions of the same paths
            for destination in written[commit::97]:
                if destination.suffix in {".py", ".txt", ".md", ".rst", ".cfg"}:
                    with destination.open("a", encoding="utf-8") as fh:
                        fh.write(f"\n# edited in commit {commit}\n")
        if commit == 10:
            (root / "deploy.env").write_text(f"GITHUB_TOKEN={FAKE_GH}\nAWS_ACCESS_KEY_ID={FAKE_AWS_ID}\n")
        if commit == 20:
            (root / "deploy.env").unlink()
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", f"step {commit}")
    print(f"history: {len(chosen)} files in {HISTORY_COMMITS} commits, {total / 1e6:.1f} MB of work tree")
    return root


def _stable_versions(releases: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Final releases (digits and dots only) that have a source distribution, oldest first."""
    plain = [v for v, files in releases.items()
             if re.fullmatch(r"\d+(\.\d+)*", v) and any(f.get("packagetype") == "sdist" for f in files)]
    return sorted(plain, key=lambda v: tuple(int(part) for part in v.split(".")))


def _download(url: str, sha256: str, destination: Path) -> None:
    """``url`` to ``destination`` unless a copy with the published digest is already there."""
    if destination.exists() and hashlib.sha256(destination.read_bytes()).hexdigest() == sha256:
        return
    if not url.startswith("https://"):
        raise SystemExit(f"refusing a non-HTTPS download: {url}")
    with urllib.request.urlopen(url, timeout=300) as response:  # noqa: S310 - https only, checked above
        data = response.read()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise SystemExit(f"{url}: SHA-256 differs from the one PyPI publishes")
    destination.write_bytes(data)


def _extract_release(archive: Path, into: Path) -> None:
    """The archive's files into ``into``, its single top-level directory stripped (no links, no
    paths outside ``into``: tarfile's ``data`` filter; zip members checked the same way)."""
    with tempfile.TemporaryDirectory(dir=WORK) as scratch:
        target = Path(scratch)
        if archive.name.endswith(".zip"):
            with zipfile.ZipFile(archive) as bundle:
                for member in bundle.namelist():
                    resolved = (target / member).resolve()
                    if not resolved.is_relative_to(target.resolve()):
                        raise SystemExit(f"{archive.name}: member {member!r} leaves the directory")
                bundle.extractall(target)
        else:
            with tarfile.open(archive) as bundle:
                bundle.extractall(target, filter="data")
        tops = list(target.iterdir())
        source = tops[0] if len(tops) == 1 and tops[0].is_dir() else target
        for entry in source.iterdir():
            shutil.move(str(entry), str(into / entry.name))


def build_releases(package: str, count: int, force: bool) -> Path:
    root = CORPUS / "releases"
    if not _fresh(root, force):
        return root
    cache = WORK / "sdists" / package
    cache.mkdir(parents=True, exist_ok=True)
    with urllib.request.urlopen(PYPI_JSON.format(package), timeout=60) as response:  # noqa: S310 - fixed https URL
        releases: dict[str, list[dict[str, Any]]] = json.load(response)["releases"]
    versions = _stable_versions(releases)[-count:]
    git(root, "init", "-q")
    for version in versions:
        sdist = next(f for f in releases[version] if f.get("packagetype") == "sdist")
        archive = cache / sdist["filename"]
        # A registry mirror may give the URL relative to the JSON document's.
        _download(urllib.parse.urljoin(PYPI_JSON.format(package), sdist["url"]), sdist["digests"]["sha256"], archive)
        for entry in root.iterdir():  # the release replaces the tree: deleted files leave it
            if entry.name != ".git":
                shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
        _extract_release(archive, root)
        git(root, "add", "-A", "-f")
        git(root, "commit", "-q", "--allow-empty", "-m", f"{package} {version}",
            date=sdist.get("upload_time_iso_8601") or "2024-01-01T00:00:00Z")
    print(f"releases: {package} {versions[0]} .. {versions[-1]} ({len(versions)} commits)")
    return root


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def build_redos(force: bool) -> Path:
    root = CORPUS / "redos"
    if not _fresh(root, force):
        return root
    rng = random.Random(1)
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    shapes = ['`"access_token": "{}"`,', '`TokenIssuer = "{}"`,', "`{}`,", '`"idToken": "{}",`,',
              '`curl -H "Authorization: Bearer {}" "http://127.0.0.1:8080/api/v2/dumpdata?output-data=1"`,']
    lines = ["package rules", "", "func JWT() *config.Rule {", "\ttps := []string{"]
    while sum(len(line) + 1 for line in lines) < 30_000:
        claims = {"sub": _b64(bytes(rng.randrange(256) for _ in range(rng.randrange(40, 240)))), "iat": 1516239022}
        token = f"{header}.{_b64(json.dumps(claims).encode())}.{_b64(bytes(rng.randrange(256) for _ in range(32)))}"
        line = "\t\t" + rng.choice(shapes).format(token)
        lines.append(line + " " * max(1, 900 - len(line)) + "// gitleaks:allow")
    lines += ["\t}", "\treturn validate(r, tps, nil)", "}", ""]
    (root / "jwt.go").write_text("\n".join(lines))
    print(f"redos: {(root / 'jwt.go').stat().st_size} bytes")
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", choices=(*SIZES, "history", "releases", "redos"))
    parser.add_argument("--tree", action="append", type=Path, default=[],
                        help="another real source tree to include (repeatable)")
    parser.add_argument("--package", default=RELEASE_PACKAGE, help="releases: the PyPI project (default moto)")
    parser.add_argument("--releases", type=int, default=RELEASE_COUNT, help="releases: how many, newest last")
    parser.add_argument("--force", action="store_true", help="rebuild even if present")
    args = parser.parse_args()
    CORPUS.mkdir(parents=True, exist_ok=True)
    trees = [site_packages(), *(t.resolve() for t in args.tree)]
    wanted = args.only or [*SIZES, "history", "releases", "redos"]
    for name in wanted:
        if name in SIZES:
            build_sized(name, SIZES[name], trees, args.force)
        elif name == "history":
            build_history(trees, args.force)
        elif name == "releases":
            build_releases(args.package, args.releases, args.force)
        else:
            build_redos(args.force)


if __name__ == "__main__":
    main()
