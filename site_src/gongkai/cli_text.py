"""argparse in Chinese: what the command line's parser says (usage, help headings, errors), the names
of option values, and how they are given to it. Part of the CLI (cli.py); nothing else uses it."""
from __future__ import annotations

import argparse
import contextlib

#: The command-line parser's texts (its gettext message ids, as Python 3.10-3.13 write them) -> Chinese.
PARSER = {
    "usage: ": "用法: ",
    "positional arguments": "位置参数",
    "options": "选项",
    "optional arguments": "选项",
    "subcommands": "命令",
    "%(heading)s:": "%(heading)s:",
    "show this help message and exit": "显示本帮助并退出",
    "show program's version number and exit": "显示版本号并退出",
    "%(prog)s: error: %(message)s\n": "%(prog)s: 错误: %(message)s\n(查看用法:%(prog)s -h)\n",
    "%(prog)s: warning: %(message)s\n": "%(prog)s: 警告: %(message)s\n",
    "the following arguments are required: %s": "缺少必需的参数:%s",
    "one of the arguments %s is required": "必须给出以下参数之一:%s",
    "unrecognized arguments: %s": "无法识别的参数:%s",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s:%(message)s",
    "invalid choice: %(value)r (choose from %(choices)s)": "没有 %(value)r 这一项,可选:%(choices)s",
    "invalid %(type)s value: %(value)r": "%(value)r 不是有效的%(type)s",
    "ignored explicit argument %r": "这个选项不带值,却给了值 %r",
    "expected one argument": "后面缺少一个值",
    "expected at most one argument": "后面最多只能有一个值",
    "expected at least one argument": "后面至少要有一个值",
    "expected %s argument": "后面需要 %s 个值",
    "expected %s arguments": "后面需要 %s 个值",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 不明确,可能是 %(matches)s",
    "unexpected option string: %s": "多余的选项 %s",
    " (default: %(default)s)": "(默认 %(default)s)",
}

#: The names the parser would give option values from their English dest (CONFIG_FILE, title …) -> Chinese.
VALUE_NAMES = {
    "config_file": "配置文件", "site_dir": "目录", "dev_addr": "地址", "unit": "机构", "category": "类别",
    "attribute": "公开属性", "date": "日期", "slug": "文件名", "author": "姓名", "title": "标题", "month": "月份",
    "output": "文件", "item": "信息文件", "stage": "环节", "reviewer": "审核人", "key": "私钥文件", "at": "时间",
    "ssh_option": "参数", "base": "分支", "port": "端口", "name": "名称", "agency": "主办单位", "site_code": "网站标识码", "url": "网址",
}


@contextlib.contextmanager
def argparse_in_chinese():
    """Gives argparse the Chinese of its texts (PARSER) for the time of the block: argparse
    asks gettext for each text it shows (usage:, error:, the headings, "the following arguments are
    required" …) by the English text itself, through its module's ``_`` and ``ngettext``, which are
    put back afterwards."""
    saved = argparse._, argparse.ngettext

    def translate(message: str) -> str:
        return PARSER.get(message, message)

    argparse._ = translate
    argparse.ngettext = lambda singular, plural, n: translate(singular if n == 1 else plural)
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved


def chinese_metavars(parser: argparse.ArgumentParser) -> None:
    """Names the values of the options and arguments that have no metavar of their own in Chinese,
    in the help and in the errors (`-f 配置文件`, `缺少必需的参数:标题`), for every verb."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for verb in dict.fromkeys(action.choices.values()):
                chinese_metavars(verb)
        elif action.metavar is None and action.dest in VALUE_NAMES:
            action.metavar = VALUE_NAMES[action.dest]


def integer(text: str) -> int:
    return int(text)


integer.__name__ = "整数"  # argparse names the type in its error: '抽' 不是有效的整数
