"""The review desk's web page (`gongkai review`): a small HTTP server on 127.0.0.1 only, for the one
reviewer who started it, showing tools.desk.Desk.

Who may use it: only a browser that opened the link `gongkai review` printed (it carries a random
token, which the first page turns into a SameSite=Strict cookie). Every request must come with that
cookie and a Host of 127.0.0.1 or localhost on the desk's port (no DNS rebinding); every form
carries a second token, so another web page the reviewer has open cannot make the desk sign.
The page needs no script: plain links and forms, so it works from the keyboard alone."""
from __future__ import annotations

import hmac
import html
import http.server
import mimetypes
import os
import secrets
import threading
from http import HTTPStatus
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, quote, unquote, urlsplit

from gongkai.law.layout import page_url
from gongkai.tools.desk import Desk, Entry, Outcome

COOKIE = "gongkai_desk"
MAX_FORM = 64 * 1024
DESK_CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
PREVIEW_CSP = "frame-ancestors 'self'; form-action 'self'; base-uri 'self'"

CSS = """\
:root { color: #1b1b1b; background: #fff; font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; line-height: 1.6; }
body { margin: 0; }
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 1rem; top: 1rem; background: #fff; padding: .5rem; z-index: 10; }
header { background: #8b0000; color: #fff; padding: .8rem 1.5rem; }
header a { color: #fff; }
header p { margin: .2rem 0; }
.brand { font-size: 1.2rem; font-weight: bold; }
main { padding: 1rem 1.5rem 3rem; max-width: 72rem; }
h1 { font-size: 1.5rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 2px solid #8b0000; padding-bottom: .2rem; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #767676; padding: .4rem .6rem; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
caption { text-align: left; font-weight: bold; padding: .3rem 0; }
a { color: #0645ad; }
a:focus, button:focus, input:focus, iframe:focus { outline: 3px solid #ffbf47; outline-offset: 2px; }
.flash { padding: .6rem 1rem; border-left: 6px solid; margin: 1rem 0; }
.flash.ok { border-color: #1e6b2f; background: #e8f5e9; }
.flash.bad { border-color: #a4000f; background: #fdecea; }
.badge { display: inline-block; padding: 0 .4rem; border: 1px solid; border-radius: 3px; font-size: .9rem; }
.badge.stale { color: #7a3e00; border-color: #7a3e00; background: #fff4e5; }
.badge.wait { color: #5b3a00; border-color: #5b3a00; }
.badge.done { color: #1e6b2f; border-color: #1e6b2f; }
.problems li.error { color: #a4000f; }
.problems li.warning { color: #6b4a00; }
pre.diff { background: #f7f7f7; border: 1px solid #767676; padding: .6rem; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
pre.diff .add { background: #e6ffed; color: #0b4f1f; display: block; }
pre.diff .del { background: #ffeef0; color: #86181d; display: block; }
pre.diff .hunk { color: #4b4b4b; display: block; }
iframe { width: 100%; height: 36rem; border: 1px solid #767676; }
form.sign { border: 1px solid #767676; padding: .8rem 1rem; margin: .8rem 0; }
form.sign p { margin: .4rem 0; }
button { font: inherit; padding: .4rem 1.2rem; background: #8b0000; color: #fff; border: 0; border-radius: 3px; cursor: pointer; }
button.secondary { background: #3d3d3d; }
input[type=password] { font: inherit; padding: .3rem; border: 1px solid #555; }
.muted { color: #4b4b4b; }
.actions form { display: inline-block; margin-right: 1rem; }
"""


class DeskServer:
    """The desk's HTTP server. ``build_preview(site_dir)`` builds the portal with drafts into
    site_dir and returns None, or an error message (Chinese)."""

    def __init__(self, desk: Desk, build_preview: Callable[[Path], str | None], site_name: str, port: int = 0, preview_dir: Path | None = None) -> None:
        self.desk = desk
        self.site_name = site_name
        self.build_preview = build_preview
        self.token = secrets.token_urlsafe(24)
        self.form_token = hmac.new(self.token.encode(), b"form", "sha256").hexdigest()
        self.preview_dir = preview_dir or desk.workdir / "preview"
        self.preview_key: tuple = ()
        self.preview_error: str | None = None
        self.lock = threading.Lock()  # one request at a time: one reviewer, one portal checkout
        self.flash: Outcome | None = None
        server = self

        class Handler(_Handler):
            desk_server = server

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/?token={self.token}"

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.2)

    def shutdown(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # --- The preview ------------------------------------------------------------------------------

    def fresh_preview(self) -> str | None:
        """Builds the preview again when a file it is made of changed; returns the error, or None."""
        key = _tree_key(self.desk.root, self.desk.docs_dir)
        if key != self.preview_key:
            self.preview_error = self.build_preview(self.preview_dir)
            self.preview_key = key
        return self.preview_error


def _tree_key(root: Path, docs_dir: Path) -> tuple:
    """Returns what changes when anything a page is made of changes: every file's size and time."""
    seen = []
    for folder in (docs_dir, root / "theme", root / "overrides"):
        for dirpath, dirnames, names in os.walk(folder):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(names):
                try:
                    stat = os.stat(os.path.join(dirpath, name))
                except OSError:
                    continue
                seen.append((dirpath, name, stat.st_mtime_ns, stat.st_size))
    for name in ("mkdocs.yml", "reviewers.yml"):
        try:
            stat = os.stat(root / name)
            seen.append(("", name, stat.st_mtime_ns, stat.st_size))
        except OSError:
            pass
    return tuple(seen)


class _Handler(http.server.BaseHTTPRequestHandler):
    desk_server: DeskServer
    server_version = "gongkai-review"
    sys_version = ""

    def log_message(self, format, *args):  # noqa: A002 - the signature is http.server's
        pass  # the reviewer's terminal shows only what gongkai review prints

    # --- Who is asking ----------------------------------------------------------------------------

    def _host_ok(self) -> bool:
        port = self.desk_server.port
        return self.headers.get("Host", "") in (f"127.0.0.1:{port}", f"localhost:{port}")

    def _cookie_ok(self) -> bool:
        for part in self.headers.get("Cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE and hmac.compare_digest(value, self.desk_server.token):
                return True
        return False

    def _refuse(self, message: str, status: HTTPStatus = HTTPStatus.FORBIDDEN) -> None:
        self._page(status, "无法打开审核工作台", f"<h1>无法打开审核工作台</h1><p>{html.escape(message)}</p>", header=False)

    # --- Requests ---------------------------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802 - the name is http.server's
        if not self._host_ok():
            return self._refuse("请用 gongkai review 打印的地址(127.0.0.1)打开审核工作台")
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        token = (query.get("token") or [""])[0]
        if url.path == "/" and token:
            if not hmac.compare_digest(token, self.desk_server.token):
                return self._refuse("链接已失效:请使用本次 gongkai review 打印的链接")
            self.send_response(HTTPStatus.SEE_OTHER)
            self.send_header("Set-Cookie", f"{COOKIE}={self.desk_server.token}; HttpOnly; SameSite=Strict; Path=/")
            self.send_header("Location", "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if url.path == "/desk.css":
            return self._send(HTTPStatus.OK, CSS.encode(), "text/css; charset=utf-8", DESK_CSP)
        if not self._cookie_ok():
            return self._refuse("请使用 gongkai review 在终端中打印的链接打开审核工作台(链接只在本机、本次有效)")
        with self.desk_server.lock:
            if url.path == "/":
                return self._queue()
            if url.path == "/item":
                return self._item((query.get("path") or [""])[0])
            if url.path.startswith("/preview/"):
                return self._preview(unquote(url.path[len("/preview/") :]))
        return self._refuse("没有这个页面", HTTPStatus.NOT_FOUND)

    def do_POST(self) -> None:  # noqa: N802 - the name is http.server's
        if not self._host_ok() or not self._cookie_ok():
            return self._refuse("请使用 gongkai review 在终端中打印的链接打开审核工作台")
        origin = self.headers.get("Origin")
        port = self.desk_server.port
        if origin is not None and origin not in (f"http://127.0.0.1:{port}", f"http://localhost:{port}"):
            return self._refuse("拒绝来自其他网页的请求")
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_FORM:
            return self._refuse("请求过大", HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode("utf-8", "replace"), keep_blank_values=True).items()}
        if not hmac.compare_digest(form.get("csrf", ""), self.desk_server.form_token):
            return self._refuse("表单已失效:请刷新页面后重试")
        desk = self.desk_server.desk
        action = urlsplit(self.path).path
        back = "/"
        with self.desk_server.lock:
            if action == "/sign":
                path = form.get("path", "")
                outcome = desk.sign(path, form.get("stage", ""), form.get("passphrase", ""))
                back = "/" if outcome.ok else f"/item?path={quote(path)}"  # signed: to the list, where commit and push are
            elif action == "/commit":
                outcome = desk.commit()
            elif action == "/push":
                outcome = desk.push()
            elif action == "/update":
                outcome = desk.update()
            elif action == "/switch":
                outcome = desk.switch(form.get("branch", ""))
            else:
                return self._refuse("没有这个操作", HTTPStatus.NOT_FOUND)
            self.desk_server.flash = outcome
        self.send_response(HTTPStatus.SEE_OTHER)
        self.send_header("Location", back)
        self.send_header("Content-Length", "0")
        self.end_headers()
        return None

    # --- Pages ------------------------------------------------------------------------------------

    def _queue(self) -> None:
        desk = self.desk_server.desk
        desk.refresh()
        waiting, done = desk.entries()
        parts = [f"<h1>待您审核({len(waiting)})</h1>"]
        if waiting:
            parts.append(_table("待您审核的信息", waiting, mine=True))
        else:
            parts.append("<p>目前没有等待您签署的信息。</p>")
        parts.append(f"<h2>您已签署、等待其他环节({len(done)})</h2>")
        parts.append(_table("您已签署的信息", done, mine=False) if done else "<p>没有。</p>")
        parts.append(self._commit_section())
        parts.append(self._branch_section())
        self._page(HTTPStatus.OK, f"审核工作台 — {desk.identity.reviewer.name}", "".join(parts))

    def _commit_section(self) -> str:
        desk = self.desk_server.desk
        pending = desk.uncommitted()
        csrf = self._csrf()
        out = ["<h2>提交与推送</h2>"]
        if pending:
            files = "".join(f"<li>{html.escape(p)}</li>" for p in pending)
            out.append(f"<p>以下 {len(pending)} 个文件的签名尚未提交:</p><ul>{files}</ul>")
        else:
            out.append("<p class=\"muted\">本次签署的签名都已提交。</p>")
        out.append('<div class="actions">')
        out.append(f'<form method="post" action="/commit">{csrf}<button type="submit">提交签名</button></form>')
        out.append(f'<form method="post" action="/push">{csrf}<button type="submit" class="secondary">推送分支 {html.escape(desk.branch())}</button></form>')
        out.append("</div><p class=\"muted\">推送后,合并请求中的检查会重新运行;合并后签名才会生效。</p>")
        return "".join(out)

    def _branch_section(self) -> str:
        desk = self.desk_server.desk
        csrf = self._csrf()
        out = [f"<h2>合并请求</h2><p>现在查看的是分支 <strong>{html.escape(desk.branch())}</strong>。</p>"]
        out.append(f'<form method="post" action="/update">{csrf}<button type="submit" class="secondary">取得最新内容</button></form>')
        branches = desk.branches()
        if branches:
            options = "".join(f'<option value="{html.escape(name)}">{html.escape(name)}({html.escape(subject)})</option>' for name, subject in branches)
            out.append(
                f'<form method="post" action="/switch">{csrf}<p><label for="branch">切换到其他合并请求</label> '
                f'<select id="branch" name="branch">{options}</select> <button type="submit" class="secondary">切换</button></p></form>'
            )
        return "".join(out)

    def _item(self, path: str) -> None:
        desk = self.desk_server.desk
        desk.refresh()
        entry = desk.entry(path)
        if entry is None:
            self.desk_server.flash = self.desk_server.flash or Outcome(False, f"{path} 已不在待审核列表中(可能已签署齐全、已发布或文件已改名)")
            self.send_response(HTTPStatus.SEE_OTHER)
            self.send_header("Location", "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        e = html.escape
        parts = [f"<p><a href=\"/\">← 返回待审核列表</a></p><h1>{e(entry.title)}</h1>"]
        parts.append("<dl>")
        for label, value in (("文件", entry.path), ("索引号", entry.index_no), ("发布机构", entry.unit), ("公开属性", entry.attribute), ("目录类别", entry.category), ("状态", entry.label)):
            parts.append(f"<dt>{label}</dt><dd>{e(value)}</dd>")
        parts.append("</dl>")
        parts.append("<h2>审核环节</h2><table><caption>各审核环节的签名</caption><thead><tr><th scope=\"col\">环节</th><th scope=\"col\">状态</th><th scope=\"col\">签署人</th><th scope=\"col\">时间</th></tr></thead><tbody>")
        for stage in entry.stages:
            parts.append(f"<tr><th scope=\"row\">{e(stage.stage)}</th><td>{_badge(stage.state)}</td><td>{e(stage.by)}</td><td>{e(stage.at)}</td></tr>")
        parts.append("</tbody></table>")
        if entry.stale:
            parts.append("<p><strong>内容已修改,须重新审核:</strong>原有签名针对的是修改前的版本,请查看下方的改动后重新签署。</p>")
        parts.append("<h2>检查结果</h2>")
        if entry.problems:
            items = "".join(f"<li class=\"{'error' if p.is_error else 'warning'}\">第 {p.line} 行:{'错误' if p.is_error else '警告'}:{e(p.message)}</li>" for p in entry.problems)
            parts.append(f"<ul class=\"problems\">{items}</ul>")
        else:
            parts.append("<p>检查未发现问题。</p>")
        url = "/preview/" + quote(page_url(entry.src, True))
        parts.append(f"<h2>审核预览</h2><p>预览与发布后的页面相同,标有“审核预览·未发布”,不公开的内容以底色标出。<a href=\"{url}\" target=\"_blank\" rel=\"noopener\">在新窗口打开预览</a></p>")
        parts.append(f"<iframe src=\"{url}\" title=\"{e(entry.title)} 的审核预览\"></iframe>")
        title, lines = desk.change(entry)
        parts.append(f"<h2>改动</h2><p>{e(title)}</p>")
        if lines:
            parts.append("<pre class=\"diff\">" + "".join(_diff_line(line) for line in lines) + "</pre>")
        elif "找不到" not in title:
            parts.append("<p>与基准分支相比没有改动。</p>")
        parts.append(self._sign_forms(entry))
        self._page(HTTPStatus.OK, f"{entry.title} — 审核工作台", "".join(parts))

    def _sign_forms(self, entry: Entry) -> str:
        desk = self.desk_server.desk
        if not entry.signable:
            return "<h2>签署</h2><p>您已签署您负责的环节,正在等待其他审核人。</p>"
        out = ["<h2>签署</h2>"]
        for n, stage in enumerate(entry.signable):
            out.append(f"<form class=\"sign\" method=\"post\" action=\"/sign\">{self._csrf()}")
            out.append(f"<input type=\"hidden\" name=\"path\" value=\"{html.escape(entry.path)}\"><input type=\"hidden\" name=\"stage\" value=\"{html.escape(stage)}\">")
            out.append(f"<p><input type=\"checkbox\" id=\"read-{n}\" name=\"read\" required> <label for=\"read-{n}\">我已审阅以上内容、改动和检查结果,同意{html.escape(stage)}</label></p>")
            if desk.identity.encrypted:
                out.append(f"<p><label for=\"pass-{n}\">密钥口令</label> <input type=\"password\" id=\"pass-{n}\" name=\"passphrase\" autocomplete=\"off\"></p>")
            out.append(f"<p><button type=\"submit\">签署{html.escape(stage)}</button></p></form>")
        return "".join(out)

    def _preview(self, rel: str) -> None:
        server = self.desk_server
        error = server.fresh_preview()
        if error:
            return self._page(HTTPStatus.INTERNAL_SERVER_ERROR, "预览失败", f"<h1>预览失败</h1><pre>{html.escape(error)}</pre>", header=False)
        root = server.preview_dir.resolve()
        target = (root / rel).resolve()
        if not target.is_relative_to(root):
            return self._refuse("没有这个页面", HTTPStatus.NOT_FOUND)
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            return self._refuse("预览中没有这个页面", HTTPStatus.NOT_FOUND)
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind in ("application/javascript", "application/json"):
            kind += "; charset=utf-8"
        self._send(HTTPStatus.OK, target.read_bytes(), kind, PREVIEW_CSP)

    # --- Writing ----------------------------------------------------------------------------------

    def _csrf(self) -> str:
        return f"<input type=\"hidden\" name=\"csrf\" value=\"{self.desk_server.form_token}\">"

    def _page(self, status: HTTPStatus, title: str, body: str, header: bool = True) -> None:
        server = self.desk_server
        top = ""
        if header:
            desk = server.desk
            me = desk.identity.reviewer
            units = "全部发布机构" if "*" in me.units else "、".join(next((u.name for u in desk.portal.settings.units if u.id == uid), uid) for uid in me.units)
            key = "ssh-agent 中的密钥" if desk.identity.agent else str(desk.identity.key)
            top = (
                f"<header><p class=\"brand\">{html.escape(server.site_name)} · 审核工作台</p>"
                f"<p>审核人:{html.escape(me.name)}({html.escape('、'.join(me.roles))};{html.escape(units)})</p>"
                f"<p>分支:{html.escape(desk.branch())} · 密钥:{html.escape(key)}({html.escape(desk.identity.fingerprint)})</p></header>"
            )
        flash = ""
        if header and server.flash is not None:
            outcome, server.flash = server.flash, None
            details = "".join(f"<li>{html.escape(d)}</li>" for d in outcome.details)
            flash = f"<div class=\"flash {'ok' if outcome.ok else 'bad'}\" role=\"status\"><p>{html.escape(outcome.message)}</p>{f'<ul>{details}</ul>' if details else ''}</div>"
        document = (
            "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(title)}</title><link rel=\"icon\" href=\"data:,\"><link rel=\"stylesheet\" href=\"/desk.css\"></head>"
            f"<body><a class=\"skip\" href=\"#main\">跳到主要内容</a>{top}<main id=\"main\">{flash}{body}</main></body></html>"
        )
        self._send(status, document.encode("utf-8"), "text/html; charset=utf-8", DESK_CSP)

    def _send(self, status: HTTPStatus, data: bytes, kind: str, csp: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Content-Security-Policy", csp)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "same-origin")  # no-referrer would make the browser send Origin: null
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


def _badge(state: str) -> str:
    kind = {"须重新审核": "stale", "待审核": "wait", "已签署": "done"}.get(state, "wait")
    return f"<span class=\"badge {kind}\">{html.escape(state)}</span>"


def _table(caption: str, entries: list[Entry], mine: bool) -> str:
    e = html.escape
    rows = []
    for entry in entries:
        stages = "、".join(entry.signable) if mine else "、".join(f"{s.stage}{s.state}" for s in entry.stages if s.state != "已签署") or "—"
        badge = _badge("须重新审核") if entry.stale else ""
        problems = sum(1 for p in entry.problems if p.is_error), sum(1 for p in entry.problems if not p.is_error)
        checks = "未发现问题" if not entry.problems else f"错误 {problems[0]} 处,警告 {problems[1]} 处"
        rows.append(
            f"<tr><td><a href=\"/item?path={quote(entry.path)}\">{e(entry.title)}</a><br><span class=\"muted\">{e(entry.path)}</span></td>"
            f"<td>{e(entry.unit)}</td><td>{e(entry.attribute)}</td><td>{e(stages)} {badge}</td><td>{checks}</td></tr>"
        )
    head = "待您签署的环节" if mine else "尚待签署的环节"
    return (
        f"<table><caption>{e(caption)}</caption><thead><tr><th scope=\"col\">标题</th><th scope=\"col\">发布机构</th>"
        f"<th scope=\"col\">公开属性</th><th scope=\"col\">{head}</th><th scope=\"col\">检查结果</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _diff_line(line: str) -> str:
    escaped = html.escape(line)
    if line.startswith("+") and not line.startswith("+++"):
        return f"<span class=\"add\">{escaped}</span>"
    if line.startswith("-") and not line.startswith("---"):
        return f"<span class=\"del\">{escaped}</span>"
    if line.startswith("@@"):
        return f"<span class=\"hunk\">{escaped}</span>"
    return escaped + "\n"
