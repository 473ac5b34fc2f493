#!/usr/bin/env bash
# Installs the Debian packages the build, the tests, the benches and the fuzz targets need, if
# any is missing.
set -euo pipefail
packages=(
  build-essential cmake ninja-build ccache pkg-config
  libcaf-dev librocksdb-dev libboost1.81-dev libboost-url1.81-dev libsimdjson-dev
  libspdlog-dev libgtest-dev rapidjson-dev libcli11-dev libssl-dev libcurl4-openssl-dev libjemalloc-dev
  libkainjow-mustache-dev libhowardhinnant-date-dev tzdata
  wrk curl python3 python3-aiosmtpd
  # scripts/fuzz.sh: clang, libFuzzer and the sanitizer runtimes (libclang-rt-14-dev), and
  # llvm-symbolizer for the stacks (llvm-14).
  clang-14 libclang-rt-14-dev llvm-14
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node and npm for tools/openapi (Redocly CLI, the answer validator): the machine's own Node
# when it has one (its npm comes with it), Debian's otherwise.
if ! command -v npm >/dev/null 2>&1; then
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  missing+=(npm)
fi
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
