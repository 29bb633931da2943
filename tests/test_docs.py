"""The README and docs/: CI's test command, links that lead somewhere, the card's tables."""

import re
import subprocess
import sys

from .conftest import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    return {anchor(m) for m in re.findall(r"^#+ (.+)$", text, flags=re.M)}


def test_readme_holds_the_test_command_ci_runs():
    # .ci/run takes the lines between the markers that are indented by 4 spaces.
    text = (ROOT / "README.md").read_text()
    block = text.split("<!-- test-command -->\n", 1)[1].split("<!-- /test-command -->", 1)[0]
    commands = [line[4:] for line in block.splitlines() if line.startswith("    ")]
    assert len(commands) == 1 and "python -m pytest" in commands[0]


def test_every_link_between_the_pages_leads_to_a_file_and_heading():
    broken = []
    for page in PAGES:
        for target in LINK.findall(page.read_text()):
            if re.match(r"[a-z]+:", target):
                continue  # a web address
            path, _, fragment = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            if not linked.exists():
                broken.append(f"{page.name}: {target} (no such file)")
            elif fragment and linked.suffix == ".md" and fragment not in anchors(linked):
                broken.append(f"{page.name}: {target} (no such heading)")
    assert broken == []


def test_model_page_tables_are_those_of_the_bundled_card():
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "model_tables.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
