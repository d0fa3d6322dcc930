#!/usr/bin/env bash
# Puts the Pulumi CLI on .tools/bin at exactly the @pulumi/pulumi version in package-lock.json, with the Node.js
# language host beside it. Add .tools/bin to PATH (the tests and npm scripts do it themselves).
#   1. a `pulumi` already on PATH at that version is used as it is;
#   2. otherwise, where Go is present, the CLI is built from Pulumi's published Go modules (github.com/pulumi/pulumi
#      pkg/v3 and sdk/v3 at that tag) in a build directory under ~/.cache, outside the tree, and cached by version;
#   3. otherwise Pulumi's official installer (a machine with internet access).
# The language host: a real `pulumi-language-nodejs` at that version beside the CLI or on PATH; otherwise the
# project's model of it (tools/pulumi/languageHost.ts): its Go module cannot be had from the module proxy here.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
version=$(node -p 'require(process.argv[1]).packages["node_modules/@pulumi/pulumi"].version' "$root/package-lock.json")
bin="$root/.tools/bin"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/app-identity/pulumi-v$version"
mkdir -p "$bin"

is_version() { [ -x "$1" ] && [ "$("$1" version 2>/dev/null)" = "v$version" ]; }

find_on_path() {
  local dir
  IFS=: read -r -a dirs <<<"$PATH"
  for dir in "${dirs[@]}"; do
    [ "$dir" = "$bin" ] && continue
    if is_version "$dir/pulumi"; then echo "$dir/pulumi"; return 0; fi
  done
  return 1
}

build_from_go_modules() {
  local build="$cache/build"
  mkdir -p "$build"
  cat >"$build/go.mod" <<GOMOD
module app-identity.local/pulumi-cli

go 1.25

require (
	github.com/pulumi/pulumi/pkg/v3 v$version
	github.com/pulumi/pulumi/sdk/v3 v$version
)
GOMOD
  echo "building the Pulumi CLI v$version from Go modules in $build (a few minutes, once per version)" >&2
  (
    cd "$build"
    # No GONOSUMDB exception: sum.golang.org lists pkg/v3 and sdk/v3 at v3.276.0 (lookup through the proxy,
    # December 2026), so `go` verifies every module the proxy serves against the checksum database.
    export GOFLAGS=-mod=mod
    go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$version" >/dev/null 2>&1 || go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$version"
    go build -trimpath -o "$cache/pulumi" \
      -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$version" \
      github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  )
}

if cli=$(find_on_path); then
  echo "using the Pulumi CLI on PATH: $cli" >&2
elif is_version "$cache/pulumi"; then
  cli="$cache/pulumi"
elif command -v go >/dev/null; then
  build_from_go_modules
  cli="$cache/pulumi"
else
  curl -fsSL https://get.pulumi.com | sh -s -- --version "$version"
  cli="$HOME/.pulumi/bin/pulumi"
fi
is_version "$cli" || { echo "install-pulumi: $cli is not v$version" >&2; exit 1; }
ln -sf "$cli" "$bin/pulumi"

# The CLI finds a language host next to its own binary (sdk/go/common/workspace/plugins.go, "bundled" plugins),
# so it is found even with PULUMI_IGNORE_AMBIENT_PLUGINS set, as the tests set it.
host="$(dirname "$cli")/pulumi-language-nodejs"
model_marker="# app-identity: language host model"
if [ -x "$host" ] && ! grep -q "$model_marker" "$host" 2>/dev/null && [ "$("$host" -version 2>/dev/null)" = "v$version" ]; then
  echo "language host: $host" >&2
else
  [ "$cli" = "$cache/pulumi" ] || host="$bin/pulumi-language-nodejs"
  cat >"$host" <<HOST
#!/bin/sh
$model_marker (tools/pulumi/languageHost.ts says why and what it models)
# The CLI starts its language host in the project's directory (sdk/go/common/resource/plugin/plugin.go, cmd.Dir):
# run the model of the checkout whose node_modules the project uses, so that one cached CLI serves every checkout.
root="$root"
dir="\$(pwd -P)"
while [ "\$dir" != / ]; do
  if [ -d "\$dir/node_modules" ]; then
    candidate="\$(dirname "\$(readlink -f "\$dir/node_modules")")"
    [ -f "\$candidate/tools/pulumi/startLanguageHost.cjs" ] && root="\$candidate"
    break
  fi
  dir="\$(dirname "\$dir")"
done
# The model compiled ahead of time and started as plain node (tools/pulumi/startLanguageHost.cjs says why).
exec node "\$root/tools/pulumi/startLanguageHost.cjs" "\$@"
HOST
  chmod +x "$host"
  echo "language host: the model in tools/pulumi/languageHost.ts ($host)" >&2
fi
echo "pulumi v$version: $bin (add it to PATH)" >&2
