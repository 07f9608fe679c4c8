"""Re-signs the sample portal with the DEMO keys, as demo/signing-plan.yml says.

    python demo/sign_sample.py                        # every item of the plan
    python demo/sign_sample.py content/xzf/2025/a.md  # only these items

Existing signatures are removed first, so an edited sample item gets fresh ones. The demo keys'
private halves are public (demo/keys/): never trust them in a real portal.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import yaml

from gongkai.portal import load_context
from gongkai.read import yamlsafe
from gongkai.read.loader import split_front_matter
from gongkai.trust.signing import sign_item, sign_record

ROOT = Path(__file__).resolve().parent.parent
SIGNER = {
    "xzf": {"初审": "liming", "复审": "wangfang", "终审": "zhaogang", "保密审查": "wumin"},
    "fgj": {"初审": "chenjing", "复审": "sunwei", "终审": "zhouqiang", "保密审查": "wumin"},
    "jyj": {"初审": "chenjing", "复审": "sunwei", "终审": "zhouqiang", "保密审查": "wumin"},
}


def without_reviews(text: str, path: str) -> tuple[str, dict]:
    """Returns the file text with its `reviews:` block removed, and the front-matter."""
    front, _, body_line = split_front_matter(text, path)
    parsed = yamlsafe.parse(front)
    lines = text.split("\n")
    if "reviews" in parsed.lines:
        start = parsed.lines["reviews"]  # 1-based in the front-matter = 0-based index in the file
        later = [n for k, n in parsed.lines.items() if "." not in k and "[" not in k and n + 1 > start + 1]
        end = min(later) if later else body_line - 2
        lines = lines[:start] + lines[end:]
    meta = dict(parsed.data)
    meta.pop("reviews", None)
    return "\n".join(lines), meta


def main(only: list[str]) -> int:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    settings, trust = load_context(ROOT, config["extra"]["gongkai"], config["site_name"])
    plan = yaml.safe_load((ROOT / "demo" / "signing-plan.yml").read_text(encoding="utf-8"))
    for key in (ROOT / "demo" / "keys").iterdir():
        if not key.name.endswith(".pub"):
            os.chmod(key, 0o600)  # ssh-keygen refuses private keys others can read; git does not keep modes
    wanted = {Path(p).resolve().relative_to(ROOT).as_posix() for p in only}
    unknown = {w for w in wanted if not w.startswith("standards/adjustments/")} - set(plan)
    if unknown:
        print(f"不在 demo/signing-plan.yml 中:{'、'.join(sorted(unknown))}", file=sys.stderr)
        return 2
    for rel, stages in sorted(plan.items()):
        if wanted and rel not in wanted:
            continue
        path = ROOT / rel
        text, front = without_reviews(path.read_text(encoding="utf-8"), rel)
        path.write_text(text, encoding="utf-8")
        unit = front["unit"]
        created = str(front["created"])
        # Sample reviews are dated shortly after each item was created, as a real office would sign.
        for number, stage in enumerate(stages):
            who = SIGNER[unit][stage]
            at = f"{created}T{9 + number:02d}:30:00+08:00"
            sign_item(ROOT, ROOT / "content", settings, trust, path, stage, who, ROOT / "demo" / "keys" / who, at=at)
        print(f"{rel}: {', '.join(stages)}")
    # The 动态调整 records: filed (备案) by the 政务公开办's reviewer on the day of each record.
    for path in sorted((ROOT / "standards" / "adjustments").glob("*.md")):
        rel = path.relative_to(ROOT).as_posix()
        if wanted and rel not in wanted:
            continue
        text, front = without_reviews(path.read_text(encoding="utf-8"), rel)
        path.write_text(text, encoding="utf-8")
        sign_record(ROOT, settings, trust, path, "wumin", ROOT / "demo" / "keys" / "wumin", at=f"{front['date']}T15:00:00+08:00")
        print(f"{rel}: 备案")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
