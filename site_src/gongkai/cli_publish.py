"""The publishing verbs of the `gongkai` command: publish, package, verify, watch, rollback.
Each prints and returns its exit code; the publishing modules do the work (gongkai.publish)."""
from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from gongkai.cli_base import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, _guarded, _load_config, _stdout_may_close, cmd_build
from gongkai.errors import UsageError, describe_os_error


def _with_strict_site(args, run) -> int:
    """Runs ``run(args)`` on args.site, building strictly into a temporary directory when absent."""
    # Loaded on demand, like the other verbs' modules: only publish and package build into a temporary directory.
    import tempfile

    if args.site is not None:
        return run(args)
    with tempfile.TemporaryDirectory(prefix="gongkai-site-") as tmp:
        build_args = argparse.Namespace(config_file=args.config_file, strict=True, site_dir=tmp)
        if cmd_build(build_args) != EXIT_OK:
            print("严格构建失败,未发布任何内容;线上站点保持不变", file=sys.stderr)
            return EXIT_PROBLEMS
        args.site = tmp
        return run(args)


@_stdout_may_close
@_guarded
def cmd_publish(args) -> int:
    return _with_strict_site(args, _publish_site)


def _publish_site(args) -> int:
    """Returns the exit code of publishing args.site to args.target, having printed what went live."""
    # Loaded on demand: the other verbs need none of the publishing modules.
    from gongkai.publish import manifest, releases, targets

    try:
        release = releases.publish(args.target, Path(args.site), keep=args.keep, ssh_options=_ssh_words(args),
                                   key=args.key, publishers=_publishers(args), init=args.init)
    except (manifest.PublishError, OSError) as exc:
        return _publish_failed("发布失败", exc)
    except KeyboardInterrupt:
        print("发布已中断;live 站点(current)没有改变,留下的半成品会在下次发布时清理", file=sys.stderr)
        return EXIT_PROBLEMS
    print(f"已发布版本 {release.name} 到 {release.target}:{release.files} 个文件已在服务器上逐一核对 SHA-256")
    print(f"  提交 {release.commit or '(无)'},构建于 {release.built_at}")
    if release.previous:
        print(f"  current 已从 {release.previous} 切换到 {release.name};如需撤回:gongkai rollback {release.target}")
    else:
        print(f"  current → {targets.RELEASES}/{release.name}(首次发布:请把网站根目录指向 {release.target}/{targets.CURRENT})")
    if release.removed:
        print(f"  已清理旧版本:{', '.join(release.removed)}")
    if release.csp_changed:
        print(
            "  注意:内容安全策略(csp-nginx.conf / csp-apache.conf)已更新,"
            "请在服务器上重载 Web 服务器(例如 systemctl reload nginx),否则新页面的脚本可能被浏览器拦截"
        )
    return EXIT_OK


@_guarded
def cmd_package(args) -> int:
    return _with_strict_site(args, _package_site)


def _package_site(args) -> int:
    """Returns the exit code of packaging args.site, having printed what to hand to the platform."""
    # Loaded on demand: the other verbs need none of the publishing modules.
    from gongkai.publish import manifest, package

    try:
        made = package.package_site(args.site, args.output)
    except (manifest.PublishError, OSError) as exc:
        return _publish_failed("打包失败", exc)
    print(f"已生成 {made.path}({made.files} 个文件,含 manifest.json)")
    print(f"  包的 SHA-256:{made.sha256}(请随包一并提交,便于平台核对)")
    print(f"  上传前可再次核对:gongkai verify --archive {made.path}")
    print(f"  请网站群平台为本站配置响应头 Content-Security-Policy: {made.policy}")
    return EXIT_OK


@_stdout_may_close
@_guarded
def cmd_verify(args) -> int:
    """Returns 0 when the live release (or the package) matches its manifest.json, 1 otherwise."""
    # Loaded on demand: the other verbs need none of the publishing modules.
    from gongkai.publish import manifest, package, verify

    if args.repair:
        return _repair(args)
    try:
        if args.archive:
            result = package.verify_archive_result(args.target)
        else:
            publishers = _publishers(args)
            result = verify.verify_target(args.target, manifest=args.manifest, ssh_options=_ssh_words(args), publishers=publishers)
    except (manifest.PublishError, OSError) as exc:
        return _publish_failed("核对失败", exc)
    if args.archive:
        what = f"包 {result.target}"
    else:
        what = f"{result.target} 的当前版本 {result.release}" if result.release else f"站点目录 {result.target}"
    built = f"构建于 {result.manifest.built_at},提交 {result.manifest.commit or '(无)'}"
    if not args.archive:
        if result.signed_by:
            print(f"发布签名有效:清单由登记的发布密钥 {result.signed_by} 签名")
        elif not publishers:
            print("注意:未核对发布签名(reviewers.yml 中没有角色含“发布”的密钥,也没有给出 --signers)", file=sys.stderr)
        for problem in result.problems:
            print(f"{problem}", file=sys.stderr)
    if not result.mismatches and not getattr(result, "problems", None):
        print(f"核对通过:{what}({built})的 {result.checked} 个文件与 manifest.json 完全一致")
        return EXIT_OK
    print(f"核对不通过:{what}({built})有 {len(result.mismatches)} 处与 manifest.json 不符:")
    for mismatch in result.mismatches:
        print(mismatch)
    if args.archive:
        print("这个包已损坏或被改动,不要上传;请重新运行 gongkai package 生成。")
    else:
        print(
            "若不是本单位发布所致,网站可能遭到篡改:请保留现场、按网站安全应急预案报告,"
            f"并立即重新发布(gongkai publish {result.target})或回滚(gongkai rollback {result.target})。"
        )
    return EXIT_PROBLEMS


def _repair(args) -> int:
    """Returns 0 when the live release was intact, 1 when something had to be (or could not be) repaired."""
    # Loaded on demand: the other verbs need none of the publishing modules.
    from gongkai.publish import guard, manifest, verify

    if args.archive or args.manifest:
        raise UsageError("--repair 不能与 --archive 或 --manifest 同时使用:修复只依据服务器上的原始副本")
    log = _duty_log(args.log)
    try:
        result = verify.repair_target(args.target, ssh_options=_ssh_words(args), publishers=_publishers(args))
    except (manifest.PublishError, OSError) as exc:
        return _publish_failed("修复失败", exc)
    lines = guard.repair_lines(result)
    if not lines:
        print(f"核对通过:{result.target} 的当前版本 {result.release} 的 {len(result.manifest.files)} 个文件与发布时完全一致,无需修复")
        return EXIT_OK
    for line in lines:
        log(line)
    return EXIT_PROBLEMS


def _duty_log(path: str | None):
    """Returns a function printing a line and, with --log, appending it with the time to the 值班读网 log."""
    # Loaded on demand: only verify --repair and watch write the log.
    from datetime import datetime

    def log(line: str) -> None:
        print(line, flush=True)
        if path:
            stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S")
            with open(path, "a", encoding="utf-8") as f:
                f.write(f"{stamp} {line}\n")

    return log


@_stdout_may_close
@_guarded
def cmd_watch(args) -> int:
    """Watches the live release until interrupted (systemd stops it with SIGTERM)."""
    # Loaded on demand: the other verbs need none of the publishing modules.
    from gongkai.publish import guard, manifest

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())  # systemctl stop: log the end, then exit 0
    try:
        guard.watch(args.target, _duty_log(args.log), publishers=_publishers(args), stop=stop)
    except (manifest.PublishError, OSError) as exc:
        return _publish_failed("值守失败", exc)
    except KeyboardInterrupt:
        return EXIT_OK
    return EXIT_OK


@_stdout_may_close
@_guarded
def cmd_rollback(args) -> int:
    # Loaded on demand: the other verbs need none of the publishing modules.
    from gongkai.publish import manifest, releases

    try:
        release = releases.rollback(args.target, args.to, ssh_options=_ssh_words(args))
    except (manifest.PublishError, OSError) as exc:
        return _publish_failed("回滚失败", exc)
    print(f"已回滚:{release.target} 的 current 从 {release.previous} 切换到 {release.name}")
    print(f"  该版本构建于 {release.built_at},提交 {release.commit or '(无)'},{release.files} 个文件已核对无误")
    return EXIT_OK


def _publishers(args) -> list[bytes]:
    """Returns the pinned publishing keys: --signers, else the reviewers.yml entries with the role 发布."""
    from gongkai.portal import load_context  # loaded on demand: only publish, verify and watch pin keys
    from gongkai.publish import signature  # loaded on demand, like the other publishing modules

    if getattr(args, "signers", None):
        return signature.read_signers(args.signers)
    if not Path(args.config_file).exists():
        return []
    config = _load_config(args)
    _settings, trust = load_context(Path(config.config_file_path).parent, (config.extra or {}).get("gongkai"), config.site_name)
    return signature.publisher_keys(trust)


def _ssh_words(args) -> list[str]:
    """Returns ssh arguments from repeated --ssh-option values, each split like a shell would ("-p 2222")."""
    # Loaded on demand, with the publishing modules that need it.
    import shlex

    words: list[str] = []
    for option in args.ssh_option or []:
        words.extend(shlex.split(option))
    return words


def _publish_failed(label: str, exc: Exception) -> int:
    """Returns the exit code of a publish, verify, rollback or package that failed, having printed why."""
    if isinstance(exc, UsageError):
        print(f"错误:{exc}", file=sys.stderr)
        return EXIT_USAGE
    if isinstance(exc, OSError):
        print(f"{label}:{describe_os_error(exc)}", file=sys.stderr)
        return EXIT_PROBLEMS
    print(f"{label}:{exc}", file=sys.stderr)
    return EXIT_PROBLEMS
