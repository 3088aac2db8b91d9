"""Every file path that README.md and docs/*.md name exists (issue 25): paths in `code` that start
at one of the repository's folders (bot/, inference/, models/, storage/, tests/, docs/, bench/) or
name a file at its root, and every relative link or picture. Placeholders (<id>, DIR, $VAR, *) and
paths a running bot creates (var/) are not files of the repository. A bare file name (`decode.py`
in the section on inference/) must be the name of a file the repository tracks."""
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FOLDERS = ("bot/", "inference/", "models/", "storage/", "tests/", "docs/", "bench/")
ROOT_FILE = re.compile(r"^[A-Za-z][\w.-]*\.(md|txt|toml|cfg|ini|py)$|^Makefile$|^\.importlinter$")
CODE = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\]\(([^)\s]+)\)")
PLACEHOLDER = re.compile(r"[<>$*{}|…]|\bDIR\b|\.\.\.")


def _named(text: str, doc: Path):
    for token in CODE.findall(text):
        for word in token.split():
            word = word.strip(".,;:()'\"").split("#")[0]
            if PLACEHOLDER.search(word) or "=" in word:
                continue
            if word.startswith(FOLDERS) or ROOT_FILE.match(word):
                yield ROOT / word
    for target in LINK.findall(text):
        if "://" in target or target.startswith(("#", "mailto:")):
            continue
        yield (doc.parent / target.split("#")[0]).resolve()


def _tracked_names() -> set[str]:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    return {Path(line).name for line in listed.stdout.splitlines()}


def _paths():
    for doc in DOCS:
        for path in _named(doc.read_text(encoding="utf-8"), doc):
            yield pytest.param(doc, path, id=f"{doc.name}:{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def test_the_docs_name_paths():
    assert len(list(_paths())) > 40  # the parser finds what the pages name


@pytest.mark.parametrize("doc, path", list(_paths()))
def test_every_path_the_docs_name_exists(doc, path):
    named = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    if len(named.parts) == 1 and not path.exists():
        assert named.name in _tracked_names(), f"{doc.relative_to(ROOT)} names {named}: no such file"
        return
    assert path.exists(), f"{doc.relative_to(ROOT)} names {named}, which does not exist"
