#!/usr/bin/env bash
# Protobuf contract checks with buf (configuration: ./buf.yaml, module proto/).
#
#   scripts/buf.sh lint       buf lint (STANDARD + COMMENTS + UNARY_RPC) and
#                             buf format --diff (the files must be formatted)
#   scripts/buf.sh breaking   buf breaking (WIRE_JSON) against the protos of
#                             the previous commit (BUF_AGAINST_REF, default
#                             HEAD~1); skipped when there is none
#
# buf comes from the npm package @bufbuild/buf, pinned below, installed with
# the machine's npm into .tools/npm (git-ignored) on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

BUF_VERSION=1.75.0
tools_dir="$PWD/.tools/npm"
buf="$tools_dir/node_modules/.bin/buf"

install_buf() {
  if [ -x "$buf" ] && [ "$("$buf" --version 2>/dev/null)" = "$BUF_VERSION" ]; then
    return
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "buf.sh: npm is needed to install buf ${BUF_VERSION} (apt-get install npm)" >&2
    exit 1
  fi
  echo "== installing buf ${BUF_VERSION} (npm @bufbuild/buf) into .tools/npm"
  mkdir -p "$tools_dir"
  # --ignore-scripts: the package's postinstall only swaps its node launcher
  # for the platform binary; the launcher works without it.
  npm install --prefix "$tools_dir" --no-save --no-audit --no-fund \
    --ignore-scripts --loglevel=error "@bufbuild/buf@${BUF_VERSION}" >/dev/null
  local got
  got="$("$buf" --version)"
  if [ "$got" != "$BUF_VERSION" ]; then
    echo "buf.sh: installed buf reports version ${got}, expected ${BUF_VERSION}" >&2
    exit 1
  fi
}

lint() {
  echo "== buf lint (buf ${BUF_VERSION})"
  "$buf" lint
  echo "== buf format --diff"
  if ! "$buf" format --diff --exit-code; then
    echo "buf.sh: proto files are not formatted; run: .tools/npm/node_modules/.bin/buf format -w" >&2
    exit 1
  fi
  echo "buf lint: ok"
}

breaking() {
  local ref="${BUF_AGAINST_REF:-HEAD~1}"
  if ! git rev-parse --git-dir >/dev/null 2>&1; then
    echo "buf breaking: not a git checkout; nothing to compare against, skipped"
    return 0
  fi
  local commit
  if ! commit="$(git rev-parse --verify --quiet "${ref}^{commit}")"; then
    echo "buf breaking: no previous commit (${ref}) in this clone (first commit or shallow clone); skipped"
    return 0
  fi
  if ! git cat-file -e "${commit}:proto" 2>/dev/null; then
    echo "buf breaking: ${ref} ($(git rev-parse --short "$commit")) has no proto/ directory; skipped"
    return 0
  fi
  local tmp
  tmp="$(mktemp -d)"
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" RETURN
  git archive "$commit" proto | tar -x -C "$tmp"
  # The same module layout on both sides: proto/ is the module root.
  cp buf.yaml "$tmp/buf.yaml"
  echo "== buf breaking (WIRE_JSON) against ${ref} ($(git rev-parse --short "$commit"))"
  "$buf" breaking --against "$tmp"
  echo "buf breaking: ok"
}

case "${1:-}" in
  lint)
    install_buf
    lint
    ;;
  breaking)
    install_buf
    breaking
    ;;
  *)
    echo "usage: $0 lint|breaking" >&2
    exit 2
    ;;
esac
