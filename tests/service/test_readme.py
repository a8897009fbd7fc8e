"""The README's checkout-service examples, run with curl against a real server."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import ROOT, start_server

SECTION = "## Checkout service"
ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d")


def _section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index(SECTION)
    return readme[start:readme.index("\n## ", start + len(SECTION))]


def _examples(section: str) -> list[tuple[str, str]]:
    """(curl command, the output shown right after it)."""
    found = []
    for match in re.finditer(r"```bash\n(curl [^\n]+)\n```\n\n```text\n(.*?)```", section,
                             re.S):
        found.append((match.group(1), match.group(2)))
    return found


def _times_as_times(text: str) -> str:
    return ISO_TIME.sub("<time>", text)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_readme_curl_examples_print_what_the_readme_shows(tmp_path: Path) -> None:
    section = _section()
    command = re.search(r"```bash\n(promo serve [^\n]+)\n```", section)
    assert command is not None
    args = command.group(1).split()[2:]
    args[args.index("--db") + 1] = str(tmp_path / "usage.sqlite")
    server = start_server([*args, "--no-watch"], tmp_path / "serve.log")
    try:
        examples = _examples(section)
        assert len(examples) >= 4
        for curl, shown in examples:
            run = curl.replace("localhost:8080", server.url.removeprefix("http://"))
            done = subprocess.run(["bash", "-o", "pipefail", "-c", run], cwd=ROOT,
                                  capture_output=True, text=True, timeout=60)
            printed = done.stdout if done.stdout.endswith("\n") else done.stdout + "\n"
            assert _times_as_times(printed) == _times_as_times(shown), curl
    finally:
        server.stop()
