#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Tests what the build tree BUILD (default build; configured and built first if need be)
# installs and packages:
#  - this tree configured as its consumers configure it, with neither GoogleTest nor Google
#    Benchmark to be found: on its own with -DPRESENCE_BUILD_TESTS=OFF
#    -DPRESENCE_BUILD_BENCHMARKS=OFF, and by tests/package/subdirectory (add_subdirectory),
#    whose defaults leave out the tests, benchmarks, examples and tools;
#  - `cmake --install` into a temporary prefix, then the consumers of tests/package built
#    against it and run (each starts a server and connects a client to it): with
#    find_package, shared and static, and with pkg-config (its rpath set as the README
#    says, without LD_LIBRARY_PATH);
#  - `cpack -G DEB`: the files each package lists, and its conffiles; then, as root, the
#    packages installed (apt resolves their dependencies), the find_package consumer built
#    against them, and the packaged /usr/bin/presence-server started with the packaged
#    configuration, as its systemd unit starts it, and asked for /healthz. The packages are
#    purged again at the end.
#
#   scripts/test-package.sh [BUILD]
#
# tests/package/subdirectory (add_subdirectory of this tree) would build every library once
# more, so it is only configured here; building it is left to a run by hand (see its
# CMakeLists.txt).
set -euo pipefail
build=$(realpath -m "${1:-$(dirname "$0")/../build}")
cd "$(dirname "$0")/.."

packages=(presence-server presence-dev)

work=$(mktemp -d)
server_pid=
installed=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  if [ -n "$installed" ]; then dpkg --purge "${packages[@]}" >/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "test-package: FAILED: $*" >&2; exit 1; }

# Runs the consumer $1 (any further arguments go to env(1): NAME=value, -u NAME); it prints OK.
# One that has not ended within 30 s has its threads' stacks printed before it is killed.
run_consumer() {
  local output=$work/consumer.out pid status=0
  env "${@:2}" "$1" >"$output" &
  pid=$!
  for _ in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "test-package: $1 still runs after 30 s; its threads:" >&2
    gdb -batch -p "$pid" -ex "thread apply all bt" >&2 2>&1 || true
    kill -9 "$pid"
  fi
  wait "$pid" || status=$?
  [ "$status" -eq 0 ] || fail "$1 exited $status: $(cat "$output")"
  grep -q '^OK' "$output" || fail "$1 printed: $(cat "$output")"
  echo "  $(cat "$output")"
}

# Builds tests/package/find_package in $1 against the Presence found first in $2 (a
# prefix, or "" for the system's); any further arguments go to cmake.
build_find_package() {
  local dir=$1 prefix=$2
  cmake -S tests/package/find_package -B "$dir" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" "${@:3}" >"$dir.log" \
    || { cat "$dir.log"; fail "configuring the find_package consumer"; }
  grep -q "^Presence_DIR:PATH=${prefix:-/usr}/" "$dir/CMakeCache.txt" \
    || fail "find_package found $(sed -n 's/^Presence_DIR:PATH=//p' "$dir/CMakeCache.txt"), not ${prefix:-/usr}"
  cmake --build "$dir" >>"$dir.log" || { cat "$dir.log"; fail "building the find_package consumer"; }
}

# Fails unless the package $1 lists each of the paths that follow.
check_lists() {
  local listing
  listing=$(dpkg -c "$1" | awk '{ print $6 }')
  for path in "${@:2}"; do
    grep -qxF "./$path" <<<"$listing" || fail "$(basename "$1") lacks /$path"
  done
  echo "  $(basename "$1"): $(($# - 1)) expected files there"
}

# Whether the executable $1 needs a shared library whose name starts with $2.
needs() { grep -qF "[$2" <<<"$(readelf -d "$1" | grep -F '(NEEDED)')"; }

[ -f "$build/CMakeCache.txt" ] || cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j "$(nproc)"
libdir=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:PATH=//p' "$build/CMakeCache.txt")

# Configures $2 into $1 with the further arguments, as a consumer without GoogleTest and
# Google Benchmark: a find_package of either fails the configuration.
configure_without_test_packages() {
  cmake -S "$2" -B "$1" -G Ninja -DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON -DCMAKE_DISABLE_FIND_PACKAGE_benchmark=ON \
    "${@:3}" >"$1.log" 2>&1 || { cat "$1.log"; fail "configuring $2 without GoogleTest and Google Benchmark"; }
}

echo "== configured without tests and benchmarks, GoogleTest and Google Benchmark not found"
configure_without_test_packages "$work/no-tests" . -DPRESENCE_BUILD_TESTS=OFF -DPRESENCE_BUILD_BENCHMARKS=OFF
echo "== configured by add_subdirectory with its defaults, which need neither, nor toml++ and libedit"
configure_without_test_packages "$work/subdirectory" tests/package/subdirectory \
  -DCMAKE_DISABLE_FIND_PACKAGE_tomlplusplus=ON
! grep -q '^__pkg_config_checked_LIBEDIT' "$work/subdirectory/CMakeCache.txt" \
  || fail "add_subdirectory with its defaults looks for libedit"

echo "== cmake --install into a temporary prefix"
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" --strip >"$work/install.log"
[ -f "$prefix/etc/presence/presence.toml" ] || fail "no etc/presence/presence.toml under the prefix"

echo "== find_package consumer, shared libraries"
build_find_package "$work/find_package-shared" "$prefix"
needs "$work/find_package-shared/consumer" libpresence-server.so || fail "the shared consumer has no libpresence-server.so"
run_consumer "$work/find_package-shared/consumer"

echo "== find_package consumer, static archives"
build_find_package "$work/find_package-static" "$prefix" -DPRESENCE_STATIC=ON
! needs "$work/find_package-static/consumer" libpresence- || fail "the static consumer needs a libpresence-*.so"
run_consumer "$work/find_package-static/consumer"

echo "== pkg-config consumer"
mkdir "$work/pkg-config"
# A prefix outside the loader's paths: the consumer finds the libraries by its rpath.
PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig make -s -f tests/package/pkg-config/Makefile OUT="$work/pkg-config" \
  LDFLAGS="-Wl,-rpath,$(PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig pkg-config --variable=libdir presence-server)"
run_consumer "$work/pkg-config/consumer" -u LD_LIBRARY_PATH

echo "== cpack -G DEB"
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/deb" >"$work/cpack.log" 2>&1 \
  || { cat "$work/cpack.log"; fail "cpack"; }
server_deb=$(echo "$work"/deb/presence-server_*.deb)
dev_deb=$(echo "$work"/deb/presence-dev_*.deb)
check_lists "$server_deb" usr/bin/presence-server usr/bin/presence-cli usr/bin/presence-token \
  usr/lib/systemd/system/presence-server.service etc/presence/presence.toml \
  usr/share/doc/presence-server/copyright
[ "$(dpkg-deb -I "$server_deb" conffiles)" = /etc/presence/presence.toml ] \
  || fail "presence-server's conffiles are not /etc/presence/presence.toml"
check_lists "$dev_deb" usr/include/presence/server.h usr/include/presence/client.h \
  usr/lib/cmake/Presence/PresenceConfig.cmake usr/lib/cmake/Presence/PresenceConfigVersion.cmake \
  usr/lib/cmake/Presence/PresenceTargets.cmake usr/lib/cmake/Presence/PresenceStaticTargets.cmake \
  usr/lib/pkgconfig/presence-server.pc usr/lib/pkgconfig/presence-client.pc \
  usr/lib/libpresence-server.so usr/lib/libpresence-client.so \
  usr/lib/libpresence-server.a usr/lib/libpresence-client.a usr/share/doc/presence-dev/copyright
# The licence, in Debian's copyright format, and a maintainer that is not a placeholder.
for deb in "$server_deb" "$dev_deb"; do
  dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards './usr/share/doc/*/copyright' >"$work/copyright"
  grep -qx 'License: Apache-2.0' "$work/copyright" || fail "$(basename "$deb"): copyright names no Apache-2.0"
  grep -q 'TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION' "$work/copyright" \
    || fail "$(basename "$deb"): copyright lacks the licence text"
  # Three paragraphs: a blank line within the licence would end it.
  [ "$(grep -c '^$' "$work/copyright")" -eq 2 ] || fail "$(basename "$deb"): copyright is not three paragraphs"
  dpkg-deb -f "$deb" Maintainer | grep -qv 'example\.invalid' || fail "$(basename "$deb"): placeholder maintainer"
done
dpkg-deb -f "$server_deb" Depends | sed 's/^/  presence-server depends on: /'

if [ "$(id -u)" -ne 0 ]; then
  echo "== installing the packages: SKIPPED (needs root)"
  exit 0
fi
echo "== installing the packages"
for p in "${packages[@]}"; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    fail "$p is installed already; this test installs and removes its own"
  fi
done
# apt reads the files as its own unprivileged user.
chmod 755 "$work" "$work/deb"
installed=yes
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$server_deb" "$dev_deb" \
  >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "apt-get install"; }

if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify /usr/lib/systemd/system/presence-server.service \
    || fail "systemd-analyze verify presence-server.service"
  echo "  presence-server.service: systemd-analyze verify finds nothing wrong"
fi

echo "== find_package consumer against the installed presence-dev"
build_find_package "$work/find_package-system" ""
run_consumer "$work/find_package-system/consumer"

echo "== the packaged presence-server"
dpkg-query -W -f='${Conffiles}' presence-server | grep -q '^ /etc/presence/presence.toml ' \
  || fail "dpkg does not know /etc/presence/presence.toml as a conffile of presence-server"
mkfifo "$work/server.out"
# As its unit starts it (its configuration), but on a free port of this host only.
read -r -a exec_start <<<"$(sed -n 's/^ExecStart=//p' /usr/lib/systemd/system/presence-server.service)"
[[ "${exec_start[*]}" == *"--config /etc/presence/presence.toml"* ]] \
  || fail "presence-server.service does not start presence-server with /etc/presence/presence.toml"
timeout -k 5 60 "${exec_start[@]}" --host 127.0.0.1 --port 0 >"$work/server.out" 2>&1 &
server_pid=$!
exec {server_out}<"$work/server.out"
port=
while IFS= read -r -t 10 -u "$server_out" line; do
  if [[ $line =~ listening\ on\ .*:([0-9]+)$ ]]; then
    port=${BASH_REMATCH[1]}
    break
  fi
done
[ -n "$port" ] || fail "presence-server printed no \"listening on\" line within 10 s"
health=$(python3 -c 'import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "http://127.0.0.1:$port/healthz") \
  || fail "GET /healthz of presence-server"
echo "  /usr/bin/presence-server on port $port: /healthz says $health"
kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=
exec {server_out}<&-
[ "$status" -eq 0 ] || fail "presence-server exited $status on SIGTERM"
echo "test-package: OK"
