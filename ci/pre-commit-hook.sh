#!/bin/sh
# gongkai 的 Git pre-commit 钩子:提交前检查本次改动的信息(已暂存、未暂存和新建的文件都算)。
#
# 安装(在门户仓库根目录执行一次):
#     ln -s ../../ci/pre-commit-hook.sh .git/hooks/pre-commit
# 或使用 pre-commit 框架:把 ci/pre-commit-config.example.yaml 复制为 .pre-commit-config.yaml。
#
# 有错误(front-matter 写错、索引号重复、签名无效……)时拒绝提交;只有警告时照常提交并显示警告。
# 确需跳过:git commit --no-verify(CI 仍会检查)。
# GONGKAI 环境变量可指定命令,默认 gongkai。
GONGKAI=${GONGKAI:-gongkai}
cd "$(git rev-parse --show-toplevel)" || exit 1

if git rev-parse --verify --quiet HEAD >/dev/null; then
    output=$($GONGKAI check --changed HEAD 2>&1)
else
    output=$($GONGKAI check 2>&1)  # 第一次提交:还没有可比较的提交,检查全部
fi
status=$?

case "$output" in
    *"错误 **0** 处,警告 **0** 处"*) ;;
    *) printf '%s\n' "$output" >&2 ;;
esac
if [ "$status" -ne 0 ]; then
    echo "gongkai: 检查发现错误,提交已取消。请按上面的提示修改后再提交。" >&2
    exit 1
fi
exit 0
