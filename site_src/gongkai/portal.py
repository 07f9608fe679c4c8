"""One portal, evaluated: settings, trust roots, every content file and the gate's decisions."""
from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from . import report
from .errors import Problem
from .gate import Gate, decide_all
from .loader import Tree, load_tree
from .model import Decision, Settings, Verdict
from .review import Trust, Verifier, load_trust
from .settings import load_settings


@dataclass
class Portal:
    root: Path
    docs_dir: Path
    settings: Settings
    trust: Trust
    tree: Tree
    decisions: list[Decision]
    today: date
    reports: dict[str, report.ReportTables] = field(default_factory=dict)  # item path -> tables

    @property
    def problems(self) -> list[Problem]:
        """Returns every problem of the portal, sorted by path and line, each once."""
        found = set(self.trust.problems) | set(self.tree.problems)
        for decision in self.decisions:
            found.update(decision.problems)
        for tables in self.reports.values():
            found.update(tables.problems)
        return sorted(found)

    def by_verdict(self, *verdicts: Verdict) -> list[Decision]:
        return [d for d in self.decisions if d.verdict in verdicts]

    def counts(self) -> Counter:
        return Counter(d.verdict for d in self.decisions)


def build_date() -> date:
    """Returns the date the build publishes for: today, or GONGKAI_TODAY=YYYY-MM-DD for previews."""
    value = os.environ.get("GONGKAI_TODAY")
    return date.fromisoformat(value) if value else date.today()


def load_context(root: Path, extra: Any, site_name: str) -> tuple[Settings, Trust]:
    """Returns the validated settings and the trust roots they point to."""
    settings = load_settings(extra, site_name, "mkdocs.yml")
    trust_path = Path(root) / settings.reviewers_file
    return settings, load_trust(trust_path, _display(trust_path, Path(root)), settings)


def evaluate(root: Path, docs_dir: Path, extra: Any, site_name: str, today: date | None = None) -> Portal:
    """Returns the evaluated portal; raises ConfigError when the settings are unusable."""
    root, docs_dir = Path(root).resolve(), Path(docs_dir).resolve()
    settings, trust = load_context(root, extra, site_name)
    tree = load_tree(docs_dir, root, settings)
    today = today or build_date()
    decisions = decide_all(tree.files, Gate(settings, Verifier(trust), today))
    return Portal(root, docs_dir, settings, trust, tree, decisions, today, annual_reports(decisions))


def annual_reports(decisions: list[Decision]) -> dict[str, report.ReportTables]:
    """Returns the tables of every published annual report, with their cross-checks (SPEC §7)."""
    published = [d.item for d in decisions if d.verdict is Verdict.PUBLISH and d.item is not None]
    reports = [item for item in published if item.category == report.REPORT_CATEGORY]
    # Table 二 counts only the unit's own 规章 and 规范性文件: each report gets those items rather
    # than scanning the whole portal again (40 reports x 10,000 items was a tenth of a rebuild).
    documents = set(report.DOCUMENT_CATEGORIES.values())
    by_unit: dict[str, list] = {}
    if reports:
        for item in published:
            if item.category in documents:
                by_unit.setdefault(item.unit, []).append(item)
    result = {}
    for item in reports:
        previous = report.previous_report(item, reports)
        result[item.path] = report.annual_report_tables(item, by_unit.get(item.unit, []), previous, source=item.lines)
    return result


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)
