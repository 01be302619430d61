"""The README and the pages in docs/ link only to files and headings that exist.

Every relative link (Markdown links, images, and ``src``/``href`` in inline HTML) must name an
existing file, relative to the page it is in; an ``#anchor`` into a Markdown file must match
one of that file's headings, slugged the way GitHub does. Links inside code are not links.
The README stays a front page: small, and pointing at the topic pages.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from ..conftest import REPO_ROOT

README = REPO_ROOT / "README.md"
DOCS = REPO_ROOT / "docs"
README_LIMIT = 12 * 1024

PAGES = [README, *sorted(DOCS.glob("*.md"))]

MARKDOWN_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_LINK = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"']+)["']""")
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
EXTERNAL = ("http://", "https://", "mailto:")


def prose_lines(text: str) -> list[str]:
    """The page's lines outside fenced code blocks (a fence opens and closes with its own kind)."""
    lines: list[str] = []
    fence: str | None = None
    for line in text.splitlines():
        opened = FENCE.match(line)
        if fence is None and opened:
            fence = opened.group(1)
        elif fence is not None and opened and opened.group(1)[0] == fence[0]:
            if len(opened.group(1)) >= len(fence):
                fence = None
        elif fence is None:
            lines.append(line)
    return lines


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: its text, lower-cased, punctuation dropped, spaces to -."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text only
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML tags
    text = text.replace("`", "").replace("*", "")
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading anchor of a Markdown page; repeated headings get -1, -2 … as on GitHub."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for line in prose_lines(page.read_text(encoding="utf-8")):
        match = HEADING.match(line)
        if not match:
            continue
        slug = github_slug(match.group(2))
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def links(page: Path) -> list[str]:
    """Every link target on a page, outside code blocks and code spans."""
    prose = "\n".join(
        CODE_SPAN.sub("", line) for line in prose_lines(page.read_text(encoding="utf-8"))
    )
    prose = re.sub(r"<!--.*?-->", "", prose, flags=re.DOTALL)
    return MARKDOWN_LINK.findall(prose) + HTML_LINK.findall(prose)


def broken_links(page: Path) -> list[str]:
    problems = []
    for target in links(page):
        if target.startswith(EXTERNAL):
            continue
        path_part, _, anchor = target.partition("#")
        resolved = (page.parent / path_part).resolve() if path_part else page
        if not resolved.is_file():
            problems.append(f"{target}: no file {os.path.relpath(resolved, REPO_ROOT)}")
            continue
        if anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            name = resolved.relative_to(REPO_ROOT)
            problems.append(f"{target}: {name} has no heading with the anchor #{anchor}")
    return problems


def test_the_pages_are_there() -> None:
    assert README.is_file()
    assert len(PAGES) > 1, "no Markdown pages in docs/"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(REPO_ROOT)))
def test_every_relative_link_resolves(page: Path) -> None:
    problems = broken_links(page)
    assert problems == [], f"{page.relative_to(REPO_ROOT)} has broken links:\n" + "\n".join(
        problems
    )


def test_readme_is_a_front_page() -> None:
    size = README.stat().st_size
    assert size <= README_LIMIT, (
        f"README.md is {size} bytes, over {README_LIMIT}: move detail to a page in docs/"
    )


def test_readme_links_the_topic_pages() -> None:
    pages = set()
    for target in links(README):
        resolved = (README.parent / target.partition("#")[0]).resolve()
        if resolved.parent == DOCS and resolved.suffix == ".md" and resolved.is_file():
            pages.add(resolved.name)
    assert len(pages) >= 5, f"README.md links only these docs pages: {sorted(pages)}"


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("Checking a deployment: `cs-agent doctor`", "checking-a-deployment-cs-agent-doctor"),
        ("Replies in the customer's thread", "replies-in-the-customers-thread"),
        ("HTTP API and Zoom", "http-api-and-zoom"),
        ("No public URL? Socket Mode", "no-public-url-socket-mode"),
        ("Settings for workers and retries", "settings-for-workers-and-retries"),
        ("Where state_lives", "where-state_lives"),
    ],
)
def test_github_slug(heading: str, slug: str) -> None:
    assert github_slug(heading) == slug
