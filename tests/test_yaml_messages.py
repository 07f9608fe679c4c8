"""YAML errors said in Chinese at the line to fix, whichever parser noticed: libyaml (gongkai's own
reader) and PyYAML's pure-Python one (what MkDocs reads mkdocs.yml with) word them differently."""
from __future__ import annotations

import pytest
import yaml

from gongkai.read import yamlsafe

# name -> (text, line to fix, words the message must hold)
CASES = {
    "full-width colon, first key": ("title：示例\nindex_no: a\nunit: xzf\n", 1, ("title：", "全角冒号", "title: ")),
    "full-width colon, last key": ("title: a\nunit：xzf\n", 2, ("unit：", "全角冒号")),
    "full-width colon in a list": ("reviewers:\n  - id：zhang\n    name: 张三\n", 2, ("id：",)),
    "two full-width colons": ("title：a\nunit：b\ncategory: c\n", 1, ("title：",)),
    "full-width colon in text is not blamed": ("title: 通知\nsummary: 本通知\n  主要内容：一是\nattribute: [bad\n", 4, ("方括号",)),
    "tab": ("title: a\n\tunit: b\n", 2, ("制表符",)),
    "unquoted colon": ("title: 通知: 关于\nunit: a\n", 1, ('"通知: 关于"',)),
    "leading *": ("title: *重要通知\n", 1, ("*", "引号")),
    "leading &": ("title: & 通知\n", 1, ("&", "引号")),
    "leading !": ("title: !重要 通知\n", 1, ("!", "引号")),
    "leading @": ("title: @所有人\n", 1, ("@", "引号")),
    "leading `": ("title: `x`\n", 1, ("`", "引号")),
    "leading %": ("title: %50\n", 1, ("%", "引号")),
    "leading [ then text": ("title: [转发]通知\nunit: a\n", 1, ("[", '"[转发]通知"')),
    "unclosed [": ("title: [通知\nunit: a\n", 1, ("方括号",)),
    "unclosed {": ("title: {通知\nunit: a\n", 1, ("花括号",)),
    "indentation": ("units:\n  - id: a\n    name: b\n   code: c\n", 4, ("缩进", "3 个空格")),
    "indentation of a mapping": ("a:\n  b: 1\n c: 2\n", 3, ("缩进",)),
    "indented too far": ("title: a\n  unit: b\nx: 1\n", 2, ("缩进",)),
    "unclosed quote": ('title: "abc\nunit: a\n', 1, ("引号没有闭合",)),
    "text after the quote": ('title: "abc" def\n', 1, ("引号闭合后",)),
    "backslash in double quotes": ('path: "C:\\d"\n', 1, ("反斜杠",)),
    "list beside keys": ("- a\nb: 1\n", 2, ("列表项",)),
    "two documents": ("a: 1\n---\nb: 2\n", 2, ("---",)),
    "control character": ("a: \x07\n", 1, ("控制字符",)),
}
ENGLISH = ("mapping", "expected", "found", "while", "scanning", "parsing", "token", "alias", "anchor")


@pytest.mark.parametrize("loader", [getattr(yaml, "CSafeLoader", yaml.SafeLoader), yaml.SafeLoader], ids=["libyaml", "python"])
@pytest.mark.parametrize("name", list(CASES))
def test_yaml_errors_in_chinese_at_the_line_to_fix(name, loader):
    text, line, words = CASES[name]
    with pytest.raises(yaml.YAMLError) as raised:
        yaml.load(text, Loader=loader)  # noqa: S506 - safe loaders only
    found, message = yamlsafe.explain(raised.value, text)
    assert found == line, message
    assert message.startswith("YAML 格式错误:")
    for word in words:
        assert word in message
    assert not [w for w in ENGLISH if w in message], message


def test_a_front_matter_of_full_width_colons_only_is_read_as_text_and_explained():
    assert yamlsafe.parse("title：示例\n").data == "title：示例"  # no error from YAML itself
    assert yamlsafe.fullwidth_colon("title：示例\n") == (1, "title")


@pytest.mark.parametrize("text", ["title: &x 通知\n", "a:\n  - &x b\n", "a: [&x 1]\n"])
def test_an_anchor_is_refused_not_dropped(text):
    """PyYAML keeps no anchor on its nodes: `title: &x 通知` would silently read as 通知."""
    with pytest.raises(yamlsafe.YamlProblem, match="锚点.*引号"):
        yamlsafe.parse(text)
    assert yamlsafe.parse('title: "&x 通知"\n').data == {"title": "&x 通知"}
