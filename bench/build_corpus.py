"""Build the benchmark corpus from real public source text fetched from package registries.

Two corpora under ``bench/.work/corpus/`` (gitignored; nothing here is committed):

``registry/``
    Unpacked source distributions of large PyPI packages (``pip download --no-deps
    --no-binary NAMES``) and large npm packages (``npm pack``): real code, docs, JSON data,
    minified bundles and the odd binary, several hundred MB. Versions are pinned so two runs
    measure the same bytes.
``workspace/``
    A workspace-sized git repository: one unpacked sdist committed in several steps (files
    added, edited, deleted), so ``--git-history`` has a real history to read. Two obviously fake,
    token-shaped strings are committed and later removed, so a history scan has something to find.

Usage: ``python bench/build_corpus.py [--only registry|workspace] [--force]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
WORK = BENCH / ".work"
CORPUS = WORK / "corpus"

PYPI = (
    "Django==5.1.3", "sympy==1.13.3", "botocore==1.29.165", "ansible-core==2.17.6",
    "transformers==4.46.2", "networkx==3.4.2", "Twisted==24.10.0", "azure-mgmt-network==25.4.0",
)
NPM = (
    "typescript@5.6.3", "three@0.170.0", "lodash@4.17.21", "rxjs@7.8.1", "pdfjs-dist@4.8.69",
    "moment@2.30.1", "eslint@9.14.0",
)
WORKSPACE_SDIST = "ansible-core==2.17.6"


def run(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, cwd=cwd, check=True, env=env, stdout=subprocess.DEVNULL)


def _safe_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """Regular files and directories only, never outside the target (no links, no devices)."""
    out = []
    for member in tar.getmembers():
        name = member.name
        if name.startswith("/") or ".." in Path(name).parts:
            continue
        if member.isfile() or member.isdir():
            out.append(member)
    return out


def unpack(archive: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(target)
        return
    with tarfile.open(archive) as tar:
        tar.extractall(target, members=_safe_members(tar), filter="data")


def pip_sdists(specs: tuple[str, ...], dest: Path) -> list[Path]:
    dest.mkdir(parents=True, exist_ok=True)
    # --no-binary names only the packages themselves: their build backends still come as wheels.
    names = ",".join(spec.split("==")[0] for spec in specs)
    run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", names,
         "--dest", str(dest), *specs])
    return sorted(p for p in dest.iterdir() if p.name.endswith((".tar.gz", ".zip", ".tar.bz2")))


def npm_tarballs(specs: tuple[str, ...], dest: Path) -> list[Path]:
    dest.mkdir(parents=True, exist_ok=True)
    run(["npm", "pack", "--silent", "--pack-destination", str(dest), *specs], cwd=dest)
    return sorted(dest.glob("*.tgz"))


def build_registry(force: bool) -> Path:
    root = CORPUS / "registry"
    if root.exists() and not force:
        print(f"{root} exists (use --force to rebuild)")
        return root
    shutil.rmtree(root, ignore_errors=True)
    downloads = WORK / "downloads"
    shutil.rmtree(downloads, ignore_errors=True)  # only the pinned set below, nothing stale
    for archive in pip_sdists(PYPI, downloads / "pypi"):
        unpack(archive, root / "pypi")
    for archive in npm_tarballs(NPM, downloads / "npm"):
        name = archive.name.removesuffix(".tgz")
        unpack(archive, root / "npm" / name)
    _drop_vendored_dirs(root)
    return root


def _drop_vendored_dirs(root: Path) -> None:
    """Directories some scanners skip by default (node_modules, venvs) would make the run unequal."""
    for dirpath, dirnames, _ in os.walk(root):
        for name in list(dirnames):
            if name in {"node_modules", ".venv", "venv", "__pycache__", ".git"}:
                shutil.rmtree(Path(dirpath) / name)
                dirnames.remove(name)


FAKE_GH = "ghp_" + "FAKEfakeFAKEfakeFAKEfakeFAKEfake1234"  # assembled: obviously fake, token-shaped
FAKE_AWS_ID = "AKIA" + "IOSFODNN7EXAMPLE"  # AWS's own documentation example


def git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid",
           "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z"}
    run(["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args], cwd=repo, env=env)


def build_workspace(force: bool) -> Path:
    root = CORPUS / "workspace"
    if root.exists() and not force:
        print(f"{root} exists (use --force to rebuild)")
        return root
    shutil.rmtree(root, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        (archive,) = pip_sdists((WORKSPACE_SDIST,), Path(tmp))
        unpack(archive, Path(tmp) / "src")
        (src,) = (Path(tmp) / "src").iterdir()
        shutil.copytree(src, root)
    git(root, "init", "-q")
    files = sorted(p for p in root.rglob("*") if p.is_file() and ".git" not in p.parts)
    half = len(files) // 2
    git(root, "add", "--", *[str(p.relative_to(root)) for p in files[:half]])
    git(root, "commit", "-q", "-m", "first half")
    leak = root / "deploy.env"
    leak.write_text(f"GITHUB_TOKEN={FAKE_GH}\nAWS_ACCESS_KEY_ID={FAKE_AWS_ID}\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "rest, with a leaked env file")
    for path in files[: len(files) // 4]:
        if path.suffix in {".py", ".md", ".rst", ".txt"}:
            with path.open("a", encoding="utf-8") as fh:
                fh.write("\n# edited in history\n")
    leak.unlink()
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "edit a quarter, remove the leak")
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=("registry", "workspace"))
    parser.add_argument("--force", action="store_true", help="rebuild even if present")
    args = parser.parse_args()
    CORPUS.mkdir(parents=True, exist_ok=True)
    if args.only in (None, "registry"):
        build_registry(args.force)
    if args.only in (None, "workspace"):
        build_workspace(args.force)
    for sub in sorted(CORPUS.iterdir()):
        files = [p for p in sub.rglob("*") if p.is_file() and not p.is_symlink()]
        size = sum(p.stat().st_size for p in files)
        print(f"{sub.name}: {len(files)} files, {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
