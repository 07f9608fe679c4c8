"""Posts (or updates) the gongkai check summary as a merge-request comment on GitLab or Gitea.

Used by ci/gitlab/.gitlab-ci.yml and ci/gitea/gongkai.yml (GitHub uses `gh pr comment`). Standard
library only. One comment per merge request: a later run edits the comment an earlier run made
(recognised by the marker line), so the discussion is not flooded.

Environment: GONGKAI_FORGE (gitlab|gitea), GONGKAI_API (…/api/v4 or …/api/v1), GONGKAI_REPO (GitLab
project id, or owner/name on Gitea), GONGKAI_PR (merge request iid / pull request number),
GONGKAI_TOKEN.
"""
from __future__ import annotations

import json
import os
import sys
import urllib.parse
import urllib.request

MARKER = "<!-- gongkai-check -->"


def _request(method: str, url: str, headers: dict, body: dict | None = None):
    data = json.dumps(body).encode("utf-8") if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={**headers, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


def post(forge: str, api: str, repo: str, number: str, token: str, text: str) -> str:
    """Returns "created" or "updated" after writing the comment."""
    api = api.rstrip("/")
    body = MARKER + "\n" + text
    if forge == "gitlab":
        headers = {"PRIVATE-TOKEN": token}
        base = f"{api}/projects/{urllib.parse.quote(repo, safe='')}/merge_requests/{number}/notes"
        existing = _request("GET", base + "?per_page=100&sort=desc", headers) or []
        for note in existing:
            if MARKER in (note.get("body") or ""):
                _request("PUT", f"{base}/{note['id']}", headers, {"body": body})
                return "updated"
        _request("POST", base, headers, {"body": body})
        return "created"
    if forge == "gitea":
        headers = {"Authorization": f"token {token}"}
        base = f"{api}/repos/{repo}/issues"
        existing = _request("GET", f"{base}/{number}/comments", headers) or []
        for comment in existing:
            if MARKER in (comment.get("body") or ""):
                _request("PATCH", f"{base}/comments/{comment['id']}", headers, {"body": body})
                return "updated"
        _request("POST", f"{base}/{number}/comments", headers, {"body": body})
        return "created"
    raise SystemExit(f"GONGKAI_FORGE 应为 gitlab 或 gitea,实际为 {forge!r}")


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("用法: python ci/post_comment.py gongkai-summary.md", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as handle:
        text = handle.read()
    env = os.environ
    missing = [k for k in ("GONGKAI_FORGE", "GONGKAI_API", "GONGKAI_REPO", "GONGKAI_PR", "GONGKAI_TOKEN") if not env.get(k)]
    if missing:
        print(f"缺少环境变量 {'、'.join(missing)}:不评论", file=sys.stderr)
        return 2
    outcome = post(env["GONGKAI_FORGE"], env["GONGKAI_API"], env["GONGKAI_REPO"], env["GONGKAI_PR"], env["GONGKAI_TOKEN"], text)
    print(f"检查结果已{'更新' if outcome == 'updated' else '发表'}为合并请求评论")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
