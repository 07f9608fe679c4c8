"""The Chinese of what the command line's parser says: usage, help headings, errors, and the names of
option values. The CLI hands these to the parser (cli.py); nothing else reads them."""
from __future__ import annotations

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
    "ssh_option": "参数", "base": "分支", "port": "端口",
}
