"""Measures the 表述检查 (gate/wording.py) on a portal made by bench/generate.py.

    python bench/wording.py --items 10000 [--runs 3]

Three numbers, all on the generated portal (generated first when absent) with the built-in list
and a portal list of 60 leaders and 300 terms (place names), as a large county's would be:

- the matcher alone: every item's readings (fields and published body) checked, per item,
  with the folded texts already made (as in the gate, where the 密级 and ID-number scans fold the
  same texts first) and with the folding counted too;
- `portal.evaluate()` in one process with and without the wording check: what it adds to
  `gongkai check` and to the gate of a build.

Times are the CPU time of this process (time.process_time): the machine the benchmarks run on is
shared, and wall time there measures the neighbours as much as the code.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "site_src"))

import yaml  # noqa: E402

import generate  # noqa: E402
from gongkai import portal as portal_module  # noqa: E402
from gongkai.gate import scan  # noqa: E402
from gongkai.gate import wording as W  # noqa: E402
from gongkai.gate.decide import wording_readings  # noqa: E402
from gongkai.model import Verdict  # noqa: E402
from gongkai.read.wording import PORTAL_FILE, Wording  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "建国立新志强明华伟峰雅琴启东景明秀英红梅海涛"


def portal_list() -> str:
    leaders = []
    titles = ["县长", "副县长", "常务副县长", "县委书记", "局长", "副局长", "主任"]
    for n in range(60):
        name = SURNAMES[n % len(SURNAMES)] + GIVEN[(n * 7) % len(GIVEN)] + GIVEN[(n * 3 + 1) % len(GIVEN)]
        leaders.append({"name": name, "title": titles[n % len(titles)]})
    terms = [{"word": f"旧地名{n:03d}乡", "correct": f"新地名{n:03d}镇", "kind": "地名"} for n in range(300)]
    return yaml.safe_dump({"leaders": leaders, "terms": terms}, allow_unicode=True)


def evaluate(root: Path, with_wording: bool):
    original = portal_module.load_wording
    if not with_wording:
        portal_module.load_wording = lambda _root: Wording()  # type: ignore[assignment]
    try:
        config = yaml.safe_load((root / "mkdocs.yml").read_text(encoding="utf-8"))
        started = time.process_time()
        result = portal_module.evaluate(root, root / "content", config["extra"]["gongkai"], config["site_name"], today=generate.TODAY, workers=1)
        return result, time.process_time() - started
    finally:
        portal_module.load_wording = original


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    root = HERE / "out" / f"portal-{args.items}"
    if not (root / "bench.json").exists():
        generate.generate(args.items, args.seed, root)
    (root / PORTAL_FILE).write_text(portal_list(), encoding="utf-8")
    os.environ["GONGKAI_WORKERS"] = "1"

    portal, _ = evaluate(root, True)
    assert not portal.wording.problems, portal.wording.problems
    matcher = W.matcher_for(portal.wording)
    work = []
    for decision in portal.decisions:
        item = decision.item
        if item is None or decision.verdict is Verdict.EXCLUDE:
            continue
        body = decision.text if decision.text is not None else ("" if decision.verdict is Verdict.METADATA else item.body)
        work.append((item, body))
    print(f"{len(work)} items checked; {len(portal.wording.terms)} terms, {len(portal.wording.leaders)} leaders")

    def matcher_pass(fold_first: bool) -> float:
        readings = [(item, wording_readings(item, body)) for item, body in work]
        scan._normal_form.cache_clear()
        total = 0.0
        for item, reading in readings:
            if fold_first:
                for text, *_ in reading:
                    scan.normalized(text)  # as the gate's other scans leave it
            started = time.process_time()
            W.text_problems(matcher, item.path, reading, None)
            total += time.process_time() - started
        return total

    def with_readings() -> float:
        scan._normal_form.cache_clear()
        started = time.process_time()
        for item, body in work:
            W.text_problems(matcher, item.path, wording_readings(item, body), None)
        return time.process_time() - started

    warm = statistics.median(matcher_pass(True) for _ in range(args.runs))
    cold = statistics.median(with_readings() for _ in range(args.runs))
    print(f"matcher, texts folded already: {warm * 1e6 / len(work):.1f} µs per item ({warm:.2f} s for {len(work)})")
    print(f"matcher + readings + folding:  {cold * 1e6 / len(work):.1f} µs per item ({cold:.2f} s)")

    on, off = [], []
    for run in range(args.runs):
        for flag in ((True, False) if run % 2 == 0 else (False, True)):
            _, seconds = evaluate(root, flag)
            (on if flag else off).append(seconds)
    a, b = statistics.median(on), statistics.median(off)
    print(f"evaluate() in one process: {a:.2f} s with the wording check, {b:.2f} s without: +{(a - b) * 1e6 / len(work):.0f} µs per item ({(a - b) / b:+.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
