"""What is computed in a forked process while the build goes on (glue.memo.Beside, over
glue.forked): the value comes back, the results the child kept in the memo join this process's
memo (the next build reads them), and a child that fails is replaced by the same call here."""
from __future__ import annotations

import os
import sys

import pytest

from gongkai.cache import Memo
from gongkai.glue import memo as glue_memo

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forked on Linux only")


def _summary(text: str) -> str:
    return text[:2] + f"@{os.getpid()}"


def test_the_value_and_the_memo_entries_made_in_the_child_come_back():
    memo = Memo({"tests.test_beside._summary": {("已知",): "已知的结果"}})
    summary = memo.of(_summary)

    def make():
        return [summary("已知"), summary("新的正文"), os.getpid()]

    beside = glue_memo.Beside(make, memo)
    known, made, child = beside.result()
    assert child != os.getpid()  # made in another process
    assert known == "已知的结果" and made == f"新的@{child}"
    used = memo.used["tests.test_beside._summary"]
    assert used == {("已知",): "已知的结果", ("新的正文",): made}
    assert memo.made == 1 and memo.changed  # the next build finds the child's result


def test_a_child_that_fails_is_replaced_by_the_call_here():
    calls = []

    def make():
        calls.append(os.getpid())
        if len(calls) == 1 and os.getpid() != parent:
            os._exit(3)  # the child dies without a value
        return "此进程的结果"

    parent = os.getpid()
    assert glue_memo.Beside(make, None).result() == "此进程的结果"
    assert calls == [parent]  # the child's call is not seen here; this one made the value


def test_an_error_in_the_child_is_raised_here_as_the_call_here_raises_it():
    def make():
        raise ValueError("生成页面出错")

    beside = glue_memo.Beside(make, Memo())
    with pytest.raises(ValueError, match="生成页面出错"):
        beside.result()
    beside.stop()  # nothing left to stop
