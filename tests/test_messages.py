"""What MkDocs and the OS say reaches the user in Chinese (glue/messages.py, errors.describe_os_error),
and a preview repeats a warning only when the build before did not show it."""
from __future__ import annotations

import errno
import logging
import re

import pytest

from gongkai.errors import describe_os_error
from gongkai.glue import messages

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize(
    "english, chinese",
    [
        ("Building documentation to directory: /srv/site", "正在构建网站,输出到 /srv/site"),
        ("Documentation built in 1.23 seconds", "网站构建完成,用时 1.23 秒"),
        ("[10:01:02] Serving on http://127.0.0.1:8000/", "[10:01:02] 预览地址:http://127.0.0.1:8000/"),
        ("[10:01:02] Detected file changes", "[10:01:02] 发现文件改动"),
        ("A 'dirty' build is being performed, this will likely lead to inaccurate navigation", "增量构建"),
        ("Doc file 'a/b.md' contains a link 'c.md', but the target 'a/c.md' is not found among documentation files.", "a/b.md: 链接 c.md 指向的文件不存在"),
        ("Config value 'site_titel': Unrecognised configuration name: site_titel", "MkDocs 没有 site_titel 这项设置"),
        ("Config value 'use_directory_urls': Expected type: <class 'bool'> but received: <class 'int'>", "应为 true 或 false,实际写的是 整数"),
    ],
)
def test_mkdocs_lines_in_chinese(english, chinese):
    assert chinese in messages.translate(english)


def test_aborts_in_chinese():
    assert messages.abort_reason("Aborted with 7 warnings in strict mode!").startswith("严格模式下出现 7 个警告")
    assert "2 个错误、3 个警告" in messages.abort_reason("Aborted with 2 errors, 3 warnings in strict mode!")
    assert "1 个设置警告" in messages.abort_reason("Aborted with 1 configuration warnings in 'strict' mode!")
    assert CJK.search(messages.abort_reason("Aborted with a configuration error!"))


def test_an_unknown_setting_complaint_keeps_a_chinese_frame():
    said = messages.setting_message("theme", "Something new MkDocs says.")
    assert said.startswith("设置 theme 有误")


def test_gongkai_messages_are_untouched_and_labelled_once():
    formatter = messages.ChineseFormatter()

    def shown(name, level, message):
        return formatter.format(logging.LogRecord(name, level, __file__, 1, message, None, None))

    assert shown("mkdocs.plugins.gongkai", logging.WARNING, "reviewers.yml:4: 警告: 示例密钥") == "reviewers.yml:4: 警告: 示例密钥"
    assert shown("mkdocs.commands.build", logging.INFO, "Cleaning site directory") == "清空输出目录"
    assert "a.md: 警告: 链接 /x 是绝对路径" in shown("mkdocs.structure.pages", logging.WARNING, "Doc file 'a.md' contains an absolute link '/x', it was left as is.")
    assert shown("mkdocs.commands.build", logging.WARNING, "Template skipped: 'x.html' not found in theme directories.") == "警告: 找不到模板 x.html,已跳过"


def test_a_preview_repeats_only_new_warnings():
    once = messages.OncePerRun()

    def passes(message, level=logging.WARNING):
        return once.filter(logging.LogRecord("mkdocs", level, __file__, 1, message, None, None))

    assert passes("demo keys") and passes("stale signature")
    once.new_build()
    assert not passes("demo keys") and passes("new problem") and passes("info", logging.INFO)
    assert once.repeated == 1
    once.new_build()  # "stale signature" was fixed in the build before: shown again when it comes back
    assert passes("stale signature") and not passes("new problem")


@pytest.mark.parametrize(
    "code, words",
    [(errno.EACCES, "权限不足"), (errno.ENOSPC, "磁盘空间已满"), (errno.EROFS, "只读"), (errno.ENOENT, "不存在"), (errno.EISDIR, "目录"), (errno.ELOOP, "系统错误")],
)
def test_os_errors_in_chinese_with_the_path(code, words):
    said = describe_os_error(OSError(code, "English strerror", "/srv/台账/x.xlsx"))
    assert said.startswith("/srv/台账/x.xlsx: ") and words in said and "English" not in said
    assert describe_os_error(OSError(code, "English"), "out.xlsx").startswith("out.xlsx: ")
