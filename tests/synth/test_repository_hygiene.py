"""Synth tier: the repository stands on its own.

No tracked file refers to something outside the repository: a sibling directory's design notes
(``../shared``), a path on the machine it was written on (``/work/...``, ``/tmp/...``), or the design
notes' section numbers ("DESIGN §N": the product's design is ``docs/design.md``, cited as
"docs/design.md §N"). Binary files and the integ test's generated snapshot are not read.

The files are listed by git, in the repository as git knows it: ``make mutate`` runs the synth tier from
a copy under ``build/mutation/``, which git ignores.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path, PurePosixPath

from tests.conftest import ROOT

HERE = Path(__file__).resolve().parent
REPO = Path(
    subprocess.run(
        ["git", "-C", str(HERE), "rev-parse", "--show-toplevel"], check=True, capture_output=True, text=True
    ).stdout.strip()
)
THIS_FILE = PurePosixPath(Path(__file__).resolve().relative_to(ROOT).as_posix())
"""This module names the references it looks for (its path in the checkout that holds the tests)."""

REFERENCES = {
    "the shared design notes' directory": re.compile(r"\.\./shared\b"),
    "a path under /work": re.compile(r"(?<![\w.-])/work/"),
    "a path under /tmp": re.compile(r"(?<![\w.-])/tmp/"),
    "the design notes' sections (cite docs/design.md §N)": re.compile(r"\bDESIGN §"),
}

# Files allowed one kind of outside reference each, with the reason in a comment (none today).
ALLOWED: dict[str, set[str]] = {}


def tracked_files() -> list[PurePosixPath]:
    listing = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z"], check=True, capture_output=True)
    return [PurePosixPath(name) for name in listing.stdout.decode().split("\0") if name]


def is_generated_snapshot(path: PurePosixPath) -> bool:
    return path.parts[0] == "integ" and any(part.endswith(".snapshot") for part in path.parts[1:-1])


def text_of(path: Path) -> str | None:
    """The file's text, or None for a binary file (a NUL byte, or not UTF-8) or one git lists but the
    work tree no longer has (a deletion not yet committed)."""
    if not path.is_file():
        return None
    data = path.read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def references_in(text: str) -> list[tuple[str, int, str]]:
    """Every (kind, line number, line) of ``text`` that refers outside the repository."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for kind, pattern in REFERENCES.items():
            if pattern.search(line):
                found.append((kind, number, line.strip()))
    return found


def test_no_tracked_file_refers_outside_the_repository():
    # GIVEN every tracked text file but the integ snapshot and this module
    files = [path for path in tracked_files() if not is_generated_snapshot(path) and path != THIS_FILE]
    assert PurePosixPath("README.md") in files

    # WHEN each is searched for references outside the repository
    offending = []
    for path in files:
        text = text_of(REPO / path)
        if text is None:
            continue
        for kind, number, line in references_in(text):
            if kind not in ALLOWED.get(str(path), set()):
                offending.append(f"{path}:{number}: {kind}: {line}")

    # THEN there is none, beyond the allow-list
    assert offending == []


def test_each_kind_of_outside_reference_is_found():
    # GIVEN lines with each kind of reference, and lines that only look alike
    text = "\n".join(
        [
            "See ../shared/DESIGN.md for the background.",
            "results in /tmp/research/cache.json",
            "cloned into /work/clones/ci3",
            "the policy (DESIGN §4b)",
            "the policy (docs/design.md §4b); a Lambda function's ./tmp/ or my/work/ folder",
        ]
    )

    # WHEN it is searched
    found = references_in(text)

    # THEN the first four lines are found, each as its kind, and the last is not
    assert [(kind, number) for kind, number, _ in found] == [
        ("the shared design notes' directory", 1),
        ("a path under /tmp", 2),
        ("a path under /work", 3),
        ("the design notes' sections (cite docs/design.md §N)", 4),
    ]


def test_binary_files_and_the_integ_snapshot_are_not_read(tmp_path):
    # GIVEN a binary file, a file that is not UTF-8, and a text file
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\0/tmp/x")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 /tmp/x".encode("latin-1"))
    (tmp_path / "notes.md").write_text("/tmp/x")

    # THEN only the text file is read, and only snapshot directories under integ/ count as generated
    assert text_of(tmp_path / "image.png") is None
    assert text_of(tmp_path / "latin1.txt") is None
    assert text_of(tmp_path / "notes.md") == "/tmp/x"
    assert is_generated_snapshot(PurePosixPath("integ/integ_comprehend_endpoint.py.snapshot/manifest.json"))
    assert not is_generated_snapshot(PurePosixPath("integ/integ_comprehend_endpoint.py"))
    assert not is_generated_snapshot(PurePosixPath("docs/x.snapshot/notes.md"))
