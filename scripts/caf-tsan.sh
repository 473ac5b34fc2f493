#!/usr/bin/env bash
# Builds CAF 0.17.6 (the version Debian ships) with ThreadSanitizer into .deps/caf-tsan, for the
# tsan preset. Debian's libcaf_core is not instrumented: TSan cannot see the synchronisation in
# its mailboxes and reports every message handed between actors as a race. The source is
# Debian's own orig tarball, checked against the checksum in Debian's .dsc. Skipped when built.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="$PWD/.deps/caf-tsan"
[ -f "$prefix/lib/libcaf_core.so" ] && exit 0
tarball=actor-framework_0.17.6.orig.tar.gz
sha=e2bf5bd243f08bb7d8adde197cfe3e6d71314ed3378fe0692f8932f4c3b3928c
work=$(mktemp -d /tmp/caf-tsan.XXXXXX)
trap 'rm -rf "$work"' EXIT
curl -fsSL -o "$work/$tarball" "http://deb.debian.org/debian/pool/main/a/actor-framework/$tarball"
echo "$sha  $work/$tarball" | sha256sum -c --quiet -
tar xzf "$work/$tarball" -C "$work"
cmake -S "$work/actor-framework-0.17.6" -B "$work/build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX="$prefix" \
  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
  -DCMAKE_CXX_FLAGS="-fsanitize=thread -fno-omit-frame-pointer" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=thread" \
  -DCAF_NO_IO=yes -DCAF_NO_OPENSSL=yes -DCAF_NO_OPENCL=yes -DCAF_NO_PYTHON=yes -DCAF_NO_TOOLS=yes \
  -DCAF_NO_EXAMPLES=yes -DCAF_NO_UNIT_TESTS=yes -DCAF_NO_SUMMARY=yes >/dev/null
cmake --build "$work/build" -j2
cmake --install "$work/build" >/dev/null
