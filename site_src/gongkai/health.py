"""Site health as 国办 inspections judge it (placeholder until the workflow issue lands)."""
from __future__ import annotations

from .errors import Problem


def health_problems(portal, config=None) -> list[Problem]:
    """Returns the site-health findings of the portal."""
    return []
