"""`gongkai init DIR`: a new portal repository holding content and configuration only.

The engine, the gate and the theme come from the installed package (mkdocs.yml says
``plugins: [gongkai]``), so `pip install -U gongkai` is the whole upgrade. The portal gets its
settings, an empty trust file explained in comments, the CI pipeline of its forge, CODEOWNERS,
a pre-commit hook, .gitignore and one example item per 公开属性 (made by `gongkai new`'s
create_item), and becomes a Git repository. It builds at once with the examples held as 待审;
once a reviewer's key is in reviewers.yml and the examples are signed, it builds strict.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from gongkai import __version__, gitrepo
from gongkai.errors import ConfigError, UsageError
from gongkai.read import yamlsafe
from gongkai.settings import UNIT_KEYS, load_settings
from gongkai.tools.new import create_item

#: The files the wheel carries for portals: the theme overrides and the CI templates (in a source
#: checkout, links to the repository's own theme/ and ci/, from which the sample portal builds).
PORTAL_FILES = Path(__file__).resolve().parents[1] / "portal_files"
THEME = PORTAL_FILES / "theme"
CI = PORTAL_FILES / "ci"

#: Forge -> (the CI template in ci/, where the portal keeps it, where its CODEOWNERS goes).
FORGES: dict[str, tuple[str, str, str]] = {
    "github": ("github/gongkai.yml", ".github/workflows/gongkai.yml", ".github/CODEOWNERS"),
    "gitlab": ("gitlab/.gitlab-ci.yml", ".gitlab-ci.yml", ".gitlab/CODEOWNERS"),
    "gitea": ("gitea/gongkai.yml", ".gitea/workflows/gongkai.yml", ".gitea/CODEOWNERS"),
}
FORGE_NAMES = {"github": "GitHub", "gitlab": "GitLab", "gitea": "Gitea"}


#: The example items, one per 公开属性: (file name, attribute, category, title, basis, body).
EXAMPLES: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("shili-zhudong", "主动公开", "通知公告", "示例:主动公开的信息", "", (
        "这是 gongkai init 生成的示例信息,公开属性为主动公开:审核齐全、签名有效后,网站上有完整页面、目录条目和附件。\n\n"
        "正式上线前请删除本文件,或改写为本单位的第一条信息后重新签名。\n"
    )),
    ("shili-bufen", "部分公开", "其他文件", "示例:部分公开的信息", "条例第十五条 个人隐私", (
        "这是 gongkai init 生成的示例信息,公开属性为部分公开:网页上只有公开的部分。\n\n"
        "不公开的内容放在标记之间:【不公开】这一句是示例中不公开的内容,不会出现在网站的任何文件中。【/不公开】\n\n"
        "正式上线前请删除本文件。\n"
    )),
    ("shili-yishenqing", "依申请公开", "其他文件", "示例:依申请公开的信息", "条例第二十七条 依申请公开", (
        "这是 gongkai init 生成的示例信息,公开属性为依申请公开:网站的依申请公开目录只列出标题、索引号等元数据,正文不上网。\n\n"
        "正式上线前请删除本文件。\n"
    )),
    ("shili-buyu", "不予公开", "其他", "示例:不予公开的信息", "条例第十六条 内部事务信息", (
        "这是 gongkai init 生成的示例信息,公开属性为不予公开:网站上任何地方都没有它。\n\n"
        "正式上线前请删除本文件。\n"
    )),
)


@dataclass(frozen=True)
class PortalAnswers:
    """What `gongkai init` asks: the portal's name, its agency, units, codes and contacts."""

    name: str  # site_name, e.g. 某某县人民政府信息公开
    units: tuple[dict[str, str], ...]  # each: id, name, code, and any contact of settings.UNIT_KEYS
    agency: str = ""  # 主办单位; the first unit's name when empty
    site_code: str = ""  # 网站标识码
    site_url: str = ""
    forge: str = "github"


@dataclass
class NewPortal:
    root: Path
    files: list[Path] = field(default_factory=list)  # written, relative to root
    examples: list[Path] = field(default_factory=list)  # the example items, relative to root


def parse_unit(text: str) -> dict[str, str]:
    """Returns a unit from ``id=xzf,name=…,code=…[,phone=…]`` (the --unit flag); raises UsageError."""
    unit: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in re.split(r"[,，]", text))):
        key, sep, value = part.replace("＝", "=").partition("=")
        key = key.strip()
        if not sep or key not in UNIT_KEYS:
            raise UsageError(f"--unit {text!r}:{part!r} 应写成 键=值,键只能是 {'、'.join(UNIT_KEYS)}(如 id=xzf,name=某县人民政府办公室,code=11360000MB0000000X)")
        unit[key] = value.strip()
    missing = [k for k in ("id", "name", "code") if not unit.get(k)]
    if missing:
        raise UsageError(f"--unit {text!r} 缺少 {'、'.join(missing)}:每个发布机构都要有 id、name(名称)和 code(统一社会信用代码)")
    return unit


def parse_name(text: str) -> str:
    """Returns the portal's name; raises UsageError when it is empty."""
    name = " ".join(text.split())
    if not name:
        raise UsageError("门户名称不能为空(如:某某县人民政府信息公开)")
    return name


def parse_forge(text: str) -> str:
    """Returns the forge whose CI pipeline the portal gets ("none": none); raises UsageError."""
    if text not in FORGES and text != "none":
        raise UsageError(f"代码托管平台 {text!r} 无效:只能是 {'、'.join(FORGES)} 或 none")
    return text


def check_target(folder: Path) -> None:
    """Raises UsageError when ``folder`` is a file or a folder that is not empty."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise UsageError(f"{folder} 已存在且不是空目录:gongkai init 只在新目录或空目录中创建门户,以免覆盖已有文件;请换一个目录名")


def init_portal(folder: Path, answers: PortalAnswers, today: date) -> NewPortal:
    """Returns the new portal after writing it into ``folder`` (new or empty) and running
    ``git init`` there; raises UsageError for a bad answer or a folder in use, OSError."""
    folder = Path(folder)
    check_target(folder)
    parse_forge(answers.forge)
    parse_name(answers.name)
    settings_text = _mkdocs_yml(answers)
    try:  # the settings as the portal will read them back
        config = yamlsafe.parse(settings_text).data
        settings = load_settings(config["extra"]["gongkai"], config["site_name"], "mkdocs.yml")
    except yamlsafe.YamlProblem as exc:
        raise UsageError(f"填写的信息有误,未创建任何文件:mkdocs.yml 第 {exc.line} 行:{exc.message}") from None
    except ConfigError as exc:
        raise UsageError(f"填写的信息有误,未创建任何文件:\n{exc}") from None
    folder.mkdir(parents=True, exist_ok=True)
    gitrepo.init_repository(folder)  # first: without Git, nothing else is written
    portal = NewPortal(folder)

    def write(rel: str, text: str) -> None:
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        portal.files.append(Path(rel))

    write("mkdocs.yml", settings_text)
    write("reviewers.yml", _reviewers_yml(answers))
    write("requirements.txt", _requirements())
    write(".gitignore", GITIGNORE)
    write(".pre-commit-config.yaml", PRE_COMMIT)
    write("README.md", _readme(answers))
    if answers.forge in FORGES:
        template, target, owners = FORGES[answers.forge]
        write(target, _ci_pipeline((CI / template).read_text(encoding="utf-8")))
        write(owners, _codeowners(answers))
        if answers.forge != "github":  # GitLab and Gitea comment through the script; GitHub through gh
            write("ci/post_comment.py", (CI / "post_comment.py").read_text(encoding="utf-8"))
    unit = settings.units[0]
    for slug, attribute, category, title, basis, body in EXAMPLES:
        made = create_item(folder, folder / "content", settings, unit.id, category, title, attribute=attribute, today=today, slug=slug, basis=basis, body=body)
        portal.examples.append(made.path.relative_to(folder))
    portal.files.append(Path("content/.gongkai-index.yml"))
    portal.files.extend(portal.examples)
    return portal


def _settings(answers: PortalAnswers) -> dict:
    agency = answers.agency or (answers.units[0]["name"] if answers.units else "")
    extra: dict = {"agency": agency}
    if answers.site_code:
        extra["site_code"] = answers.site_code
    extra["units"] = [dict(u) for u in answers.units]
    return extra


def _q(value: str) -> str:
    """Returns the text as a YAML scalar that reads back unchanged (a JSON string is one)."""
    return json.dumps(value, ensure_ascii=False)


def _mkdocs_yml(answers: PortalAnswers) -> str:
    extra = _settings(answers)
    lines = [
        f"# {answers.name} 的站点设置(gongkai init 生成)。修改须经政务公开办审批(见 CODEOWNERS)。",
        "# 引擎、发布闸门和主题都来自安装的 gongkai 包(下面的 plugins: - gongkai):升级只需 pip install -U gongkai。",
        "# 全部设置的说明见 gongkai 的 README 和 docs/。",
        f"site_name: {_q(answers.name)}",
        f"site_url: {_q(answers.site_url)}" if answers.site_url else "# site_url: https://www.example.gov.cn/xxgk/   # 上线前填写本门户的正式网址(站点地图、订阅源和目录导出要用)",
        "docs_dir: content",
        "site_dir: site",
        "use_directory_urls: true",
        "",
        "theme:",
        "  name: material",
        "  language: zh",
        "  font: false",
        "  # 要修改某个页面模板:建立 theme/ 目录,按 gongkai 自带主题中的相对路径放入同名文件,再在这里加一行",
        "  # custom_dir: theme",
        "  # theme/ 中的文件优先于 gongkai 自带的版本;只放本门户确实要改的文件,其余随 gongkai 升级。",
        "",
        "plugins:",
        "  - gongkai",
        "",
        "markdown_extensions:",
        "  - tables",
        "  - attr_list",
        "  - admonition",
        "  - toc:",
        "      permalink: false",
        "",
        "extra:",
        "  gongkai:",
        f"    agency: {_q(extra['agency'])}   # 主办单位(页脚和指南)",
    ]
    if answers.site_code:
        lines.append(f"    site_code: {_q(answers.site_code)}   # 网站标识码(页脚)")
    else:
        lines.append("    # site_code: \"0000000000\"   # 网站标识码(页脚)")
    lines += [
        "    # icp: 某ICP备00000000号            # ICP 备案号(页脚)",
        "    # police_record: 某公网安备 00000000000000号   # 公安机关备案号(页脚)",
        "    units:   # 发布机构:id 用于 content/ 下的目录名和信息的 unit 字段,code 是统一社会信用代码(索引号的前缀)",
    ]
    for unit in answers.units:
        lines.append(f"      - id: {_q(unit['id'])}")
        for key in UNIT_KEYS[1:]:
            if unit.get(key):
                lines.append(f"        {key}: {_q(unit[key])}")
    lines += [
        "    # 审核流程:每条信息发布前须经初审、复审、终审(三级审核,须由三位不同的审核人签署)和保密审查。",
        "    # 个别目录类别可另行规定(保密审查不能省略,法律另有规定的除外),例如:",
        "    # review_policy:",
        "    #   categories:",
        "    #     机构职能: [初审, 终审, 保密审查]",
    ]
    return "\n".join(lines) + "\n"


def _reviewers_yml(answers: PortalAnswers) -> str:
    first = answers.units[0]["id"] if answers.units else "xzf"
    return f"""# 审核人信任文件:谁可以为哪些机构签署哪个审核环节,用哪把 SSH 密钥。由政务公开办维护,修改须经其审批(见 CODEOWNERS)。
# 没有登记审核人时,任何签名都不能通过,所有信息都列为待审,不会发布。
#
# 登记一位审核人:
#   1. 审核人在自己的电脑上生成密钥(私钥只在本人手里,不要发给任何人、不要提交到仓库):
#        ssh-keygen -t ed25519 -C "姓名 单位"
#   2. 把公钥文件 ~/.ssh/id_ed25519.pub 的一整行交给政务公开办,照下面的格式加在 reviewers: 下面
#      (去掉行首的 #,并把 [] 删掉):
#
# reviewers:
#   - id: zhangsan            # 审核人 id:签名时写 gongkai sign … --as zhangsan
#     name: 张三
#     units: ["{first}"]          # 可以审核哪些发布机构的信息("*" 表示全部)
#     roles: [初审]              # 可以签署的环节:初审 复审 终审 保密审查(三级审核须由三位不同的人签署)
#     keys:
#       - "ssh-ed25519 AAAA…(公钥的一整行)"
#     # valid_until: 2027-12-31   # 可选:密钥的有效期
#
#   3. 审核人签名:在门户目录运行 gongkai review,在浏览器中的审核工作台上签署
#      (或用命令:gongkai sign content/…/某条信息.md --stage 初审 --as zhangsan --key ~/.ssh/id_ed25519)
#
# 核验签名只需要 OpenSSH:gongkai allowed-signers 打印 allowed_signers 文件,gongkai statement 导出声明和签名。
reviewers: []
"""


def _requirements() -> str:
    return (
        "# 本门户使用的 gongkai 版本(CI 按此安装)。升级:pip install -U 'gongkai[properdocs]',\n"
        "# 运行 gongkai --version 查看新版本号并改写下面一行,gongkai check 和 gongkai build --strict 通过后提交。\n"
        "# [properdocs]:用 ProperDocs(MkDocs 1.6 的继续维护版)构建;去掉它则用 MkDocs 1.6 构建,网站相同。\n"
        f"gongkai[properdocs]=={__version__}\n"
    )


def _ci_pipeline(template: str) -> str:
    """Returns the engine repository's CI template as a portal's: gongkai from requirements.txt."""
    text = template.replace("python -m pip install .", "python -m pip install -r requirements.txt")
    return re.sub(r"(ci/)(gitea/)?CODEOWNERS\.example", "CODEOWNERS", text)


def _codeowners(answers: PortalAnswers) -> str:
    owner = "@请改为本单位的账号/政务公开办"
    regex = answers.forge == "gitea"  # Gitea's rules are Go regular expressions, not globs

    def rule(path: str) -> str:
        if not regex:
            return path
        return re.escape(path.lstrip("/")).replace(r"\/", "/").rstrip("/") + ("/.*" if path.endswith("/") else "")

    lines = [
        f"# 谁必须批准哪些文件的改动({FORGE_NAMES[answers.forge]} CODEOWNERS)。把 @请改为… 换成本单位在代码托管平台上的账号或团队,",
        "# 再在分支保护中开启“需要代码所有者审批”。后面的规则优先于前面的规则。",
        "",
        f"{'.*' if regex else '*'}  {owner}",
        "",
        "# 各单位的信息:由本单位的审核人审批合并(签名本身由 gongkai 核验,这里管的是“谁能合并”)",
    ]
    for unit in answers.units:
        lines.append(f"{rule('/content/' + unit['id'] + '/')}  @请改为本单位的账号/{unit['id']}-审核人")
    lines += [
        "",
        "# 信任根、站点设置、表述检查词表、索引号计数器和流水线:只能由政务公开办审批",
    ]
    for path in ("/reviewers.yml", "/mkdocs.yml", "/wording.yml", "/requirements.txt", "/content/.gongkai-index.yml", "/theme/", "/ci/"):
        lines.append(f"{rule(path)}  {owner}")
    ci_folder = {"github": "/.github/", "gitlab": "/.gitlab/", "gitea": "/.gitea/"}[answers.forge]
    lines.append(f"{rule(ci_folder)}  {owner}")
    if answers.forge == "gitlab":
        lines.append(f"/.gitlab-ci.yml  {owner}")
    return "\n".join(lines) + "\n"


def _readme(answers: PortalAnswers) -> str:
    return f"""# {answers.name}

本仓库由 `gongkai init` 生成,只有内容和设置;引擎、发布闸门和主题来自安装的 gongkai 包。

```sh
python3 -m venv .venv && . .venv/bin/activate && pip install -r requirements.txt
gongkai check                 # 每条信息的状态和问题
gongkai build                 # 构建网站到 site/
```

上线前:

1. 在 `reviewers.yml` 中登记审核人和他们的公钥(文件开头有说明)。
2. 审核人在审核工作台(`gongkai review`,浏览器中打开)上为每条信息签署自己负责的环节:初审、复审、终审须由三位不同的审核人签署,另有保密审查。
3. `gongkai build --strict` 通过后即可发布(`gongkai publish`)。
4. `content/` 中的四条示例信息(每种公开属性一条)供参考,正式上线前删除。

新建信息:`gongkai new --unit {answers.units[0]['id'] if answers.units else 'xzf'} --category 通知公告 "标题"`。升级 gongkai:`pip install -U gongkai`,
再按 `requirements.txt` 中的说明改写版本号。
"""


GITIGNORE = """# 构建输出、缓存和本机生成的文件(gongkai init 生成)
/site/
/.cache/
.gongkai-cache/
/台账/
台账-*.xlsx
/核验/
.venv/
__pycache__/
"""

PRE_COMMIT = """# pre-commit 框架(https://pre-commit.com)的配置:安装 pre-commit 后在仓库根目录运行一次 pre-commit install。
# 提交前检查本次改动的信息;有错误(front-matter 写错、索引号重复、签名无效……)时拒绝提交。
# 确需跳过:git commit --no-verify(CI 仍会检查)。
repos:
  - repo: local
    hooks:
      - id: gongkai-check-changed
        name: gongkai check --changed
        entry: sh -c 'if git rev-parse --verify --quiet HEAD >/dev/null; then gongkai check --changed HEAD; else gongkai check; fi'
        language: system
        pass_filenames: false
        always_run: true
"""
