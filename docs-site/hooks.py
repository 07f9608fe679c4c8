"""Hooks of the project's documentation site (docs-site/mkdocs.yml, plain Material): the
repository's README.md is its home page and CHANGELOG.md its change log, both outside docs/;
their links to docs/NAME.md become links to the site's NAME.md."""
from __future__ import annotations

import re
from pathlib import Path

from mkdocs.structure.files import File

REPO = Path(__file__).resolve().parent.parent
FROM_ROOT = {"index.md": REPO / "README.md", "changelog.md": REPO / "CHANGELOG.md"}
_LINK = re.compile(r"\]\((?:docs/)?([^)#\s]+\.md)(#[^)\s]*)?\)")


def on_files(files, config):
    for uri, path in FROM_ROOT.items():
        files.append(File.generated(config, uri, abs_src_path=str(path)))
    return files


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri not in FROM_ROOT:
        return markdown
    return _LINK.sub(lambda m: f"]({'changelog.md' if m.group(1) == 'CHANGELOG.md' else m.group(1)}{m.group(2) or ''})", markdown)
