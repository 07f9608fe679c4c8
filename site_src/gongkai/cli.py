"""The `gongkai` command: argument parsing only; each verb hands over to one function."""
from __future__ import annotations

import argparse
import ipaddress
import json
import sys
from pathlib import Path

from gongkai import __version__, cli_text
from gongkai.cli_base import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, _guarded, _load_config, _portal, _setup_logging, cmd_build
from gongkai.cli_publish import cmd_package, cmd_publish, cmd_rollback, cmd_verify, cmd_watch
from gongkai.errors import ConfigError, GongkaiError, UsageError, describe_os_error

LEDGER_DIR = "台账"  # gongkai ledger's default folder, in .gitignore


def main(argv: list[str] | None = None) -> int:
    with cli_text.argparse_in_chinese():
        parser = _parser()
        cli_text.chinese_metavars(parser)
        args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("已中断", file=sys.stderr)
        return EXIT_PROBLEMS


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gongkai", description="政府信息公开专栏:先审后发的静态网站构建工具")
    parser.add_argument("--version", action="version", version=f"gongkai {__version__}", help="显示版本号并退出")
    sub = parser.add_subparsers(dest="command", required=True, metavar="命令")

    def command(name: str, help: str, func) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.add_argument("-f", "--config-file", default="mkdocs.yml", help="门户配置文件(默认 mkdocs.yml)")
        p.set_defaults(func=func)
        return p

    p = command("build", "构建网站(含发布闸门)", cmd_build)
    p.add_argument("--strict", action="store_true", help="严格模式:任何警告或无效签名都使构建失败")
    p.add_argument("-d", "--site-dir", help="输出目录(默认 mkdocs.yml 的 site_dir)")
    p.add_argument("--no-cache", action="store_true", help="不用也不更新构建缓存 .cache/gongkai/,先清空输出目录,从头构建")
    p = command("serve", "本地预览(编辑时自动刷新)", cmd_serve)
    p.add_argument("-a", "--dev-addr", default=None, help="监听地址,如 127.0.0.1:8000")
    p.add_argument("--drafts", action="store_true", help="审核预览:待审和定时发布的信息也显示(标有“审核预览·未发布”),只在本机")
    p = command("check", "检查全部信息的状态和问题,不构建网站", cmd_check)
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.add_argument("--strict", action="store_true", help="有警告也以 1 退出")
    p.add_argument("--changed", metavar="BASE", help="只检查相对于 Git 提交 BASE 改动的信息,输出适合 PR 评论的 Markdown 摘要")
    p.add_argument("--stats", action="store_true", help="表述检查的错误率:按发布机构和月份统计信息数、发现的问题和已改正的问题")
    p.add_argument("-o", "--output", default=None, help="与 --stats 一起用:把错误率和问题清单写入 .xlsx 文件(供政务公开办,不进网站)")
    p = command("new", "新建一条信息:分配下一个索引号,生成带注释的 front-matter", cmd_new)
    p.add_argument("--unit", required=True, help="发布机构 id")
    p.add_argument("--category", required=True, help="目录类别")
    p.add_argument("--attribute", default="主动公开", help="公开属性(默认 主动公开)")
    p.add_argument("--date", default=None, help="成文日期 YYYY-MM-DD(默认今天)")
    p.add_argument("--slug", default=None, help="文件名(小写字母、数字和 -),默认按日期和序号生成")
    p.add_argument("--author", default=None, help="撰稿人姓名(默认取 git config user.name;用于发布台账)")
    p.add_argument("title", help="标题")
    p = sub.add_parser("init", help="新建门户仓库(设置、审核人信任文件、CI、每种公开属性一条示例信息)", description="在新目录中创建门户仓库:只有内容和设置,引擎和主题来自安装的 gongkai 包。缺少的参数在终端中逐项询问")
    p.set_defaults(func=cmd_init)
    p.add_argument("dir", metavar="DIR", help="新门户仓库的目录(不存在或为空)")
    p.add_argument("--name", help="门户名称,如 某某县人民政府信息公开")
    p.add_argument("--agency", help="主办单位(默认第一个发布机构的名称)")
    p.add_argument("--unit", action="append", metavar="id=…,name=…,code=…", help="发布机构(可重复):id、名称、统一社会信用代码,可加 address phone email hours fax postcode")
    p.add_argument("--site-code", help="网站标识码")
    p.add_argument("--url", help="门户的正式网址(可以以后在 mkdocs.yml 中填写)")
    p.add_argument("--forge", choices=["github", "gitlab", "gitea", "none"], help="代码托管平台:生成它的 CI 流水线和 CODEOWNERS(默认 github)")
    p = command("ledger", "生成信息发布台账(.xlsx)", cmd_ledger)
    p.add_argument("--month", required=True, help="月份 YYYY-MM")
    p.add_argument("-o", "--output", default=None, help="输出文件(默认门户仓库的 台账/台账-YYYY-MM.xlsx,该目录不提交到 Git)")
    p.add_argument("--unit", action="append", default=None, help="只列出这些发布机构(可重复)")
    p = command("digest", "打印信息的摘要 sha256:…", cmd_digest)
    p.add_argument("item", help="信息文件")
    p = command("sign", "用 SSH 密钥为信息签署审核意见", cmd_sign)
    p.add_argument("item", help="信息文件")
    p.add_argument("--stage", required=True, help="审核环节:初审 复审 终审 保密审查")
    p.add_argument("--as", dest="reviewer", required=True, help="审核人 id(reviewers.yml)")
    p.add_argument("--key", required=True, help="SSH 私钥文件")
    p.add_argument("--at", default=None, help=argparse.SUPPRESS)
    p = command("review", "打开审核工作台:在本机浏览器中查看待您审核的信息、预览、改动和检查结果,并签署、提交、推送", cmd_review)
    p.add_argument("--key", default=None, help="SSH 私钥文件(默认用 ssh-agent 中的密钥或 ~/.ssh/id_ed25519)")
    p.add_argument("--as", dest="reviewer", default=None, help="审核人 id(一把密钥对应多位审核人时才需要)")
    p.add_argument("--base", default=None, help="比较改动的基准分支(默认 origin/main 或 main)")
    p.add_argument("--port", type=cli_text.integer, default=0, help="本机端口(默认自动选择)")
    p.add_argument("--no-browser", action="store_true", help="不自动打开浏览器,只打印链接")
    p = command("preview", "把审核预览(含待审信息,标有“审核预览·未发布”)写入一个目录,供合并请求的审核人下载查看;不能发布", cmd_preview)
    p.add_argument("-d", "--dir", required=True, metavar="DIR", help="输出目录(不能是网站的 site_dir)")
    p = command("statement", "导出某审核环节的签名声明和签名文件,供核验人员用 ssh-keygen -Y verify 独立核验", cmd_statement)
    p.add_argument("item", help="信息文件")
    p.add_argument("--stage", required=True, help="审核环节:初审 复审 终审 保密审查")
    p.add_argument("-o", "--output", default=".", metavar="DIR", help="输出目录(默认当前目录)")
    p = command("unsign", "清除信息中已失效的审核签名(内容修改后须重新审核时),或某一环节的签名", cmd_unsign)
    p.add_argument("item", help="信息文件")
    p.add_argument("--stage", default=None, help="只清除这一审核环节的签名(不论是否有效):初审 复审 终审 保密审查")
    command("allowed-signers", "打印 OpenSSH allowed_signers 文件,供 ssh-keygen -Y verify 独立核验", cmd_allowed_signers)
    p = command("publish", "把严格构建的站点原子发布到目录或 用户@主机:/目录", cmd_publish)
    p.add_argument("target", metavar="TARGET")
    p.add_argument("--site", metavar="DIR", help="已严格构建的站点目录(默认先执行严格构建)")
    p.add_argument("--keep", type=cli_text.integer, default=5, metavar="N", help="保留最近 N 个版本(默认 5)")
    p.add_argument("--init", action="store_true", help="首次发布:目标中还没有 gongkai 的版本时必须加上(防止路径写错时悄悄新建目录)")
    p.add_argument("--key", metavar="FILE", help="发布私钥:为 manifest.json 和内容安全策略签名(reviewers.yml 中角色含“发布”的密钥)")
    p.add_argument("--ssh-option", action="append", dest="ssh_option", metavar="OPT", help="传给 ssh 的参数,如 '-p 2222'")
    p = command("verify", "比对线上文件与 manifest.json(防篡改)", cmd_verify)
    p.add_argument("target", metavar="TARGET")
    p.add_argument("--archive", action="store_true", help="TARGET 是 gongkai package 生成的站点包")
    p.add_argument("--manifest", metavar="FILE", help="保存在服务器之外的可信 manifest.json")
    p.add_argument("--repair", action="store_true", help="从原始副本恢复当前版本中被改动、增加或删除的文件(改动的文件移入 quarantine/ 留证)")
    p.add_argument("--log", metavar="FILE", help="把修复记录追加到这个值班读网日志文件")
    p.add_argument("--signers", metavar="FILE", help="发布公钥文件(每行一个公钥);默认取 reviewers.yml 中角色含“发布”的密钥")
    p.add_argument("--ssh-option", action="append", dest="ssh_option", metavar="OPT")
    p = command("watch", "在 Web 服务器上值守:网站文件一有改动即从原始副本恢复,并写值班读网日志", cmd_watch)
    p.add_argument("target", metavar="TARGET")
    p.add_argument("--log", metavar="FILE", help="值班读网日志文件(默认只输出到屏幕或 journalctl)")
    p.add_argument("--signers", metavar="FILE", help="发布公钥文件:修复前核对原始清单的发布签名")
    p = command("rollback", "把 current 原子切回上一个(或指定)版本", cmd_rollback)
    p.add_argument("target", metavar="TARGET")
    p.add_argument("--to", metavar="RELEASE", help="要切回的版本名")
    p.add_argument("--ssh-option", action="append", dest="ssh_option", metavar="OPT")
    p = command("package", "生成可复现的站点包(.tar.gz 或 .zip)供网站群平台上传", cmd_package)
    p.add_argument("--site", metavar="DIR", help="已严格构建的站点目录(默认先执行严格构建)")
    p.add_argument("-o", "--output", metavar="OUT", help="输出文件")
    return parser


# ---------------------------------------------------------------- helpers


# ---------------------------------------------------------------- verbs


@_guarded
def cmd_serve(args) -> int:
    # Lazy: importing MkDocs takes a while, and only build and serve need it.
    from gongkai.glue import commands

    _setup_logging()
    dev_addr = _preview_address(args, _load_config(args))
    try:
        commands.serve(args.config_file, dev_addr, drafts=bool(args.drafts))
    except commands.Failed as exc:
        print(f"预览失败:{exc}" if str(exc) else "预览失败(原因见上方的错误信息)", file=sys.stderr)
        return EXIT_PROBLEMS
    return EXIT_OK


_LOOPBACK = ("127.", "localhost", "::1", "[::1]")


def _is_loopback(host: str) -> bool:
    """Whether ``host`` is this computer only: a loopback IP address, or localhost."""
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name other than localhost may resolve anywhere


def _preview_address(args, config) -> str:
    """Returns where the preview listens: 127.0.0.1 whatever mkdocs.yml's dev_addr says (a preview
    shows unpublished edits); only an explicit --dev-addr widens it, with a warning."""
    if args.dev_addr:
        host = args.dev_addr.rsplit(":", 1)[0] if ":" in args.dev_addr else args.dev_addr
        if args.drafts and not _is_loopback(host):
            raise UsageError(f"--dev-addr {args.dev_addr}:--drafts 显示尚未发布的待审信息,只能在本机(127.0.0.1)预览:请去掉 --dev-addr,或改为 127.0.0.1:端口")
        if not host.startswith(_LOOPBACK):
            print(f"警告:预览将在 {args.dev_addr} 上对其他计算机开放,尚未审核发布的修改可能被他人看到;如无必要,请去掉 --dev-addr", file=sys.stderr)
        return args.dev_addr
    return f"127.0.0.1:{config.dev_addr.port}"


@_guarded
def cmd_check(args) -> int:
    from gongkai.escaping import show_invisible  # each verb imports what it runs: start-up time
    from gongkai.model import VERDICT_LABELS, Verdict  # (as above)
    from gongkai.report.index import missing_reports  # (as above)
    from gongkai.site import health  # (as above)

    if args.output and not args.stats:
        raise UsageError("-o 只能与 --stats 一起使用(把错误率写入 .xlsx 文件)")
    config, portal = _portal(args)
    if args.changed:
        return _check_changed(args, config, portal)
    if args.stats:
        return _check_stats(args, portal)
    reports = [d.item for d in portal.decisions if d.item is not None and d.item.path in portal.reports]
    # Lazy: the allow-lists of the glue and the site's outputs, for this command only.
    from gongkai.glue.guard import config_problems
    from gongkai.glue.installed import layout_problems  # lazy, as the line above
    from gongkai.site.generated import output_problems  # lazy, as the line above

    outputs = output_problems(portal, config.use_directory_urls)  # pages and attachments that would collide
    problems = sorted(set(portal.problems) | set(missing_reports(portal.settings, reports, portal.today)) | set(health.health_problems(portal, config)) | set(outputs.values()) | set(config_problems(config)) | set(layout_problems(config)))
    errors = [p for p in problems if p.is_error]
    warnings = [p for p in problems if not p.is_error]
    counts = portal.counts()
    calendar = health.calendar_sources(health.portal_years(portal), portal.settings.calendar)
    if args.json:
        items = []
        for decision in portal.decisions:
            item = decision.item
            items.append(
                {
                    "path": decision.path,
                    "index_no": item.index_no if item else None,
                    "title": item.title if item else None,
                    "attribute": item.meta.get("attribute") if item else None,
                    "state": decision.verdict.value,
                    "label": VERDICT_LABELS[decision.verdict],
                    "missing": list(decision.missing),
                    "stale": [{"stage": s.stage, "by": s.by, "name": s.name} for s in decision.stale],
                    "reason": decision.reason,
                }
            )
        summary = {v.value: counts[v] for v in Verdict} | {"errors": len(errors), "warnings": len(warnings)}
        sources = [{"year": year, "source": source, "label": label} for year, source, label in calendar]
        print(json.dumps({"items": items, "problems": [p.as_dict() for p in problems], "summary": summary, "calendar": sources}, ensure_ascii=False, indent=1))
    else:
        for decision in portal.decisions:
            detail = ""
            if decision.verdict is Verdict.HOLD or decision.verdict in (Verdict.REFUSE, Verdict.FAIL):
                detail = f"({decision.reason})"
            elif decision.item is not None and decision.item.published and decision.published and decision.published > decision.item.published:
                detail = f"(发布日期按最后一次审核签名为 {decision.published},published 写的是 {decision.item.published})"
            print(show_invisible(f"{decision.path}: {VERDICT_LABELS[decision.verdict]}{detail}"))
        if problems:
            print()
            for problem in problems:
                print(problem)
        print()
        print("工作日的依据:" + ";".join(f"{year} 年 {label}" for year, _, label in calendar))
        parts = ",".join(f"{VERDICT_LABELS[v]} {counts[v]}" for v in Verdict)
        print(f"共 {len(portal.decisions)} 条信息:{parts};错误 {len(errors)} 处,警告 {len(warnings)} 处")
    if errors or (args.strict and warnings):
        return EXIT_PROBLEMS
    return EXIT_OK


def _check_changed(args, config, portal) -> int:
    """`gongkai check --changed BASE`: prints the Markdown (or JSON) summary; 1 when it found errors."""
    from gongkai.gitrepo import GitError  # each verb imports what it runs: start-up time
    from gongkai.tools import changes  # (as above)

    try:
        summary = changes.summarize(portal, args.changed, config)
    except GitError as exc:
        print(f"gongkai: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(changes.as_json(summary), ensure_ascii=False, indent=1))
    else:
        sys.stdout.write(changes.render_markdown(summary))
    if summary.errors or (args.strict and summary.warnings):
        return EXIT_PROBLEMS
    return EXIT_OK


def _check_stats(args, portal) -> int:
    """`gongkai check --stats`: prints the 错误率 table (or JSON) of the wording check; 0."""
    from gongkai.tools.wording_stats import error_rates, write_workbook  # each verb imports what it runs: start-up time

    rows = error_rates(portal)
    if args.output:
        write_workbook(portal, rows, Path(args.output))  # a StatsWriteError is printed by _guarded
        print(args.output, file=sys.stderr)
    if args.json:
        print(json.dumps({"rows": [r.as_dict() for r in rows]}, ensure_ascii=False, indent=1))
        return EXIT_OK
    print("发布机构\t月份\t信息\t已发布\t错误\t警告\t有问题的信息\t已改正\t错误率")
    for r in rows:
        print(f"{r.unit_name}\t{r.month}\t{r.items}\t{r.published}\t{r.errors}\t{r.warnings}\t{r.with_findings}\t{r.fixed}\t{r.rate:.1%}")
    return EXIT_OK


def _load_one(args, path: str, inside_docs: bool = True):
    """Returns (config, root, docs dir, item path) of an item file named on the command line (of
    any file of the portal when not ``inside_docs``: a 动态调整 record lies in standards/)."""
    config = _load_config(args)
    root = Path(config.config_file_path).parent.resolve()
    item_path = Path(path).resolve()
    docs_dir = Path(config.docs_dir).resolve()
    if not item_path.is_file():
        raise UsageError(f"找不到信息文件 {path}")
    try:
        item_path.relative_to(docs_dir if inside_docs else root)
    except ValueError:
        raise UsageError(f"{path} 不在内容目录 {docs_dir} 中" if inside_docs else f"{path} 不在门户仓库 {root} 中") from None
    return config, root, docs_dir, item_path


@_guarded
def cmd_new(args) -> int:
    from gongkai.portal import build_date  # each verb imports what it runs: start-up time
    from gongkai.read.counter import display_path  # (as above)
    from gongkai.settings import load_settings  # (as above)
    from gongkai.tools import new as newitem  # (as above)

    config = _load_config(args)
    root = Path(config.config_file_path).parent
    try:
        settings = load_settings((config.extra or {}).get("gongkai"), config.site_name, "mkdocs.yml")
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_PROBLEMS
    try:
        new = newitem.create_item(
            root,
            Path(config.docs_dir),
            settings,
            args.unit,
            args.category,
            args.title,
            attribute=args.attribute or "主动公开",
            created=newitem.parse_created(args.date) if args.date else None,
            today=build_date(),
            slug=args.slug,
            author=args.author,
        )
    except UsageError as exc:
        print(f"gongkai: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"gongkai: {describe_os_error(exc)}", file=sys.stderr)
        return EXIT_PROBLEMS
    print(display_path(new.path, root))
    print(f"索引号 {new.index_no}", file=sys.stderr)
    if new.deadline is not None:
        print(f"{new.deadline.describe()}", file=sys.stderr)
        if new.deadline.estimated:
            print("警告: 已安装的 chinesecalendar 没有这些日期的节假日安排,期限按周一至周五估算;请升级 chinesecalendar", file=sys.stderr)
    return EXIT_OK


@_guarded
def cmd_init(args) -> int:
    from gongkai.portal import build_date  # each verb imports what it runs: start-up time
    from gongkai.tools import init  # (as above)

    init.check_target(Path(args.dir))  # before asking anything
    answers = _init_answers(args, init)
    try:
        made = init.init_portal(Path(args.dir), answers, build_date())
    except OSError as exc:
        print(f"gongkai: 无法写入 {describe_os_error(exc, args.dir)}", file=sys.stderr)
        return EXIT_PROBLEMS
    for path in made.files:
        print(path.as_posix())
    print(f"已在 {args.dir} 创建门户仓库(git init 完成,尚未提交)。接下来:", file=sys.stderr)
    print(f"  1. cd {args.dir} && gongkai build   # 示例信息待审,不会发布", file=sys.stderr)
    print("  2. 在 reviewers.yml 中登记第一位审核人和他的公钥(文件开头有说明)", file=sys.stderr)
    print(f"  3. 为示例信息签名:gongkai sign {made.examples[0].as_posix()} --stage 终审 --as 审核人id --key ~/.ssh/id_ed25519(保密审查同样签一次)", file=sys.stderr)
    print("  4. gongkai build --strict 通过后提交;正式上线前删除 content/ 中的示例信息", file=sys.stderr)
    return EXIT_OK


def _init_answers(args, init):
    """Returns the answers of `gongkai init`: its flags, and in a terminal, what they leave out."""
    ask = sys.stdin.isatty()

    def answer(value, flag: str, question: str, default: str = "", required: bool = True, parse=str):
        while value is None and ask:
            typed = input(f"{question}{f'(回车即 {default})' if default else ''}:").strip() or default
            if not typed:
                if not required:
                    return ""
                continue
            try:
                return parse(typed)
            except UsageError as exc:
                print(f"gongkai: {exc}", file=sys.stderr)  # and ask again
        if value is None:
            if default or not required:
                return parse(default) if default else ""
            raise UsageError(f"缺少 {flag}({question}):不在终端中运行时,请用参数给出(见 gongkai init --help)")
        return parse(value)

    name = answer(args.name, "--name", "门户名称,如 某某县人民政府信息公开", parse=init.parse_name)
    units = [init.parse_unit(text) for text in args.unit or []]
    if not units:
        units.append(answer(None, "--unit", "发布机构,如 id=xzf,name=某县人民政府办公室,code=统一社会信用代码,phone=电话", parse=init.parse_unit))
        while ask and (more := answer(None, "--unit", "下一个发布机构(格式同上,直接回车结束)", required=False, parse=init.parse_unit)):
            units.append(more)
    return init.PortalAnswers(
        name=name,
        units=tuple(units),
        agency=answer(args.agency, "--agency", "主办单位", units[0]["name"]),
        site_code=answer(args.site_code, "--site-code", "网站标识码,没有可直接回车", required=False),
        site_url=answer(args.url, "--url", "门户的正式网址,以后再填可直接回车", required=False),
        forge=answer(args.forge, "--forge", "代码托管平台 github gitlab gitea none", "github", parse=init.parse_forge),
    )


@_guarded
def cmd_ledger(args) -> int:
    from gongkai.tools import ledger  # each verb imports what it runs: start-up time

    _, portal = _portal(args)
    # By default into 台账/ beside mkdocs.yml, a folder .gitignore leaves out: a ledger is printed and signed, not committed.
    target = Path(args.output) if args.output else Path(args.config_file).parent / LEDGER_DIR / f"台账-{args.month}.xlsx"
    try:
        rows = ledger.month_ledger(portal, args.month, target, args.unit)
    except UsageError as exc:
        print(f"gongkai: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ledger.LedgerWriteError as exc:
        print(f"gongkai: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    print(target)
    for unit in portal.settings.units:
        if unit.id not in rows:
            continue
        unit_rows = rows[unit.id]
        late = [r for r in unit_rows if r.overdue]
        print(f"{unit.name}:{len(unit_rows)} 条,超期 {len(late)} 条", file=sys.stderr)
        for entry in late:
            print(f"{entry.item.path}:{entry.item.line_of('published')}: 警告: 超期公开:{entry.timeliness.describe()}", file=sys.stderr)
    return EXIT_OK


def _valid_item(args):
    """Returns (the item of args.item, its root); raises GongkaiError listing its problems when it
    has an error (a digest or a statement of a broken item means nothing)."""
    from gongkai.read.loader import load_item  # each verb imports what it runs: start-up time

    _, root, docs_dir, item_path = _load_one(args, args.item)
    loaded = load_item(item_path, docs_dir, root, None)
    if loaded.item is None or any(p.is_error for p in loaded.problems):
        raise GongkaiError("\n".join(str(p) for p in loaded.problems))
    return loaded.item, root


@_guarded
def cmd_digest(args) -> int:
    from gongkai.trust.review import item_digest  # each verb imports what it runs: start-up time

    print(item_digest(_valid_item(args)[0]))
    return EXIT_OK


@_guarded
def cmd_sign(args) -> int:
    from gongkai.portal import load_context  # each verb imports what it runs: start-up time
    from gongkai.trust import signing  # (as above)

    # The 备案 of a 动态调整 record (standards/adjustments/*.md) signs a file outside content/.
    config, root, docs_dir, item_path = _load_one(args, args.item, inside_docs=args.stage != signing.FILING_ROLE)
    try:
        settings, trust = load_context(root, (config.extra or {}).get("gongkai"), config.site_name)
        signed = signing.sign_item(root, docs_dir, settings, trust, item_path, args.stage, args.reviewer, Path(args.key), at=args.at)
    except GongkaiError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_PROBLEMS
    review = signed.review
    print(f"已签署:{args.item} {review.stage} {review.by} {review.at}")
    for old in signed.replaced:
        print(f"  已替换原有的{old.review.stage}签名:{old.review.by} {old.review.at}({old.state})")
    return EXIT_OK


@_guarded
def cmd_unsign(args) -> int:
    from gongkai.portal import load_context  # each verb imports what it runs: start-up time
    from gongkai.trust import signing  # (as above)

    config, root, docs_dir, item_path = _load_one(args, args.item)
    settings, trust = load_context(root, (config.extra or {}).get("gongkai"), config.site_name)
    removed = signing.clear_reviews(root, docs_dir, settings, trust, item_path, args.stage)
    if not removed:
        what = f"{args.stage}签名" if args.stage else "已失效的签名"
        print(f"{args.item} 没有{what},未作修改")
        return EXIT_OK
    for gone in removed:
        print(f"已清除:{args.item} {gone.review.stage} {gone.review.by} {gone.review.at}({gone.state})")
    print(f"共清除 {len(removed)} 个签名;这些环节须由审核人用 gongkai sign 重新签名后才能发布")
    return EXIT_OK


@_guarded
def cmd_review(args) -> int:
    """`gongkai review`: the review desk on 127.0.0.1 until Ctrl+C (tools.desk, tools.deskweb)."""
    import webbrowser  # each verb imports what it runs: start-up time

    from gongkai.glue import commands  # (as above)
    from gongkai.portal import evaluate  # (as above)
    from gongkai.tools import desk as reviewdesk  # (as above)
    from gongkai.tools.deskweb import DeskServer  # (as above)

    _setup_logging()
    commands.quiet()  # the preview's builds: problems only
    config = _load_config(args)
    root, docs_dir = Path(config.config_file_path).parent.resolve(), Path(config.docs_dir).resolve()
    extra = (config.extra or {}).get("gongkai")
    state: dict = {}

    def current():
        portal = evaluate(root, docs_dir, extra, config.site_name, cache=state.get("cache"))
        state["cache"] = portal.cache
        return portal

    workdir = reviewdesk.make_workdir()
    try:
        try:
            portal = current()
        except ConfigError as exc:
            raise GongkaiError(str(exc)) from None
        identity = reviewdesk.find_identity(portal, workdir, args.key, args.reviewer)
        desk = reviewdesk.Desk(root, docs_dir, current, identity, args.base, workdir)
        try:
            server = DeskServer(desk, lambda site: commands.build_preview(args.config_file, site), config.site_name, args.port)
        except OSError as exc:
            raise UsageError(f"无法在 127.0.0.1:{args.port} 上打开审核工作台:{exc.strerror or exc}") from None
        me = identity.reviewer
        print(f"审核工作台已打开:{me.name}({'、'.join(me.roles)}),密钥 {identity.fingerprint}")
        print(f"请在浏览器中打开(仅本机、本次有效):{server.url}", flush=True)
        print("关闭工作台:在此窗口按 Ctrl+C", flush=True)
        if not args.no_browser:
            webbrowser.open(server.url)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("审核工作台已关闭")
        finally:
            server.shutdown()
    finally:
        reviewdesk.close_workdir(workdir)
    return EXIT_OK


@_guarded
def cmd_preview(args) -> int:
    """`gongkai preview -d DIR`: the draft preview as files, for the pull request's CI artifact."""
    from gongkai.glue import commands  # each verb imports what it runs: start-up time

    _setup_logging()
    config = _load_config(args)
    target, site = Path(args.dir).resolve(), Path(config.site_dir).resolve()
    if target == site or target.is_relative_to(site) or site.is_relative_to(target):
        raise UsageError(f"-d {args.dir}:审核预览含未发布的信息,不能写入网站目录 {config.site_dir} 或包含它的目录;请另选目录,如 -d preview")
    error = commands.build_preview(args.config_file, target, file_urls=True, wait=True)
    if error:
        print(f"审核预览失败:{error}", file=sys.stderr)
        return EXIT_PROBLEMS
    print(f"审核预览已写入 {args.dir}(用浏览器打开其中的 index.html;待审信息的页面标有“审核预览·未发布”,不能发布)", file=sys.stderr)
    return EXIT_OK


@_guarded
def cmd_statement(args) -> int:
    from gongkai.tools.statement import export_statements  # each verb imports what it runs: start-up time

    item, _ = _valid_item(args)
    config_file = None if args.config_file == "mkdocs.yml" else args.config_file
    exported = export_statements(item, args.stage, Path(args.output), config_file)
    for entry in exported:
        print(f"{entry.review.stage} {entry.review.by} {entry.review.at}:已写出 {entry.statement} 和 {entry.signature}", file=sys.stderr)
        print(entry.command)
    print("请在门户仓库根目录运行上面的命令;输出 Good \"gongkai-review\" signature 即核验通过", file=sys.stderr)
    return EXIT_OK


@_guarded
def cmd_allowed_signers(args) -> int:
    from gongkai.trust.review import allowed_signers  # each verb imports what it runs: start-up time

    _, portal = _portal(args)
    for problem in portal.trust.problems:
        print(problem, file=sys.stderr)
    sys.stdout.write(allowed_signers(portal.trust))
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
