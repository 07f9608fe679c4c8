from __future__ import annotations

import pytest

from gongkai.gate import scan
from gongkai.gate.decide import redact


@pytest.mark.parametrize(
    "text",
    [
        "身份证号11010519491231002X",
        "身份证号 110105 19491231 002x",
        "身份证号１１０１０５１９４９１２３１００２Ｘ",  # full-width
        "身份证号110105\u200b19491231002X",  # zero-width space inside
        "| 张三 | 110105-19491231-002X |",
    ],
)
def test_id_numbers_are_found_however_written(text):
    assert scan.id_numbers(text) == [(1, "110105********002X")]


@pytest.mark.parametrize(
    "text",
    ["110105********002X", "11010519491231002Y", "11010519491331002X", "订单号 911101051949123100201"],
    ids=["masked", "bad-check-digit", "bad-date", "longer-number"],
)
def test_non_id_numbers_pass(text):
    assert scan.id_numbers(text) == []


def test_check_digit():
    assert scan.id_check_digit("11010519491231002") == "X"


@pytest.mark.parametrize("text", ["秘密★", "机密★1年", "絕密 ★", "機\u200b密★", "秘 密 ★ 十年"])
def test_secrecy_marks(text):
    assert scan.secrecy_marks(text)


@pytest.mark.parametrize("text", ["保守国家秘密", "机密文件管理办法", "★ 五星"])
def test_words_without_the_star_are_not_marks(text):
    assert scan.secrecy_marks(text) == []


def test_mobile_numbers():
    assert scan.mobile_numbers("联系人 13912345678") == [(1, "139****5678")]
    assert scan.mobile_numbers("电话 0799-1234567") == []


def test_redact_multiline_spans_and_keeps_the_rest():
    body = "甲。\n【不公开】乙\n丙【/不公开】丁。【不公开】戊【/不公开】"
    text, problems = redact(body, "条例第十五条", "a.md", 5)
    assert problems == []
    assert "乙" not in text and "丙" not in text and "戊" not in text
    assert text.startswith("甲。\n") and "丁。" in text
    assert text.count("此处内容依法不予公开") == 2


@pytest.mark.parametrize(
    "body,line,message",
    [
        ("a\n【不公开】b", 6, "没有对应的【/不公开】"),
        ("a【/不公开】", 5, "前面没有对应的【不公开】"),
        ("【不公开】a\n【不公开】b【/不公开】", 6, "未闭合就再次出现"),
        ("a\n【 不公开 】b【/不公开】", 6, "写法不规范"),
    ],
)
def test_redact_refuses_unbalanced_or_malformed_markers(body, line, message):
    _, problems = redact(body, "", "a.md", 5)
    assert problems and problems[0].line == line and message in problems[0].message
