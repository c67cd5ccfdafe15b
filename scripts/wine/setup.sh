#!/usr/bin/env bash
# Prepares a Wine prefix in which the Windows JVM (and so the Windows fsdriver server) runs:
#   scripts/wine/setup.sh [PREFIX]        (default: $WINEPREFIX, else ~/.cache/fsdriver-wine)
# Idempotent and quick once done. Needs Debian's wine64 and mingw-w64 (scripts/setup.sh installs
# them with FSD_EXTRA=wine; ./test does). Steps:
#   1. wineboot the prefix (15-30 s the first time);
#   2. build the iphlpapi shim (iphlpapi-shim.c) with x86_64-w64-mingw32-gcc: its .def forwards
#      every export of Wine's builtin iphlpapi.dll (read with objdump) to a copy of that builtin,
#      installed as system32\iphlpwine.dll; the shim goes to system32\iphlpapi.dll.
# Use the prefix through scripts/wine/run, which sets WINEDLLOVERRIDES=iphlpapi=n,b.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
prefix="${1:-${WINEPREFIX:-$HOME/.cache/fsdriver-wine}}"

die() { echo "fsdriver wine setup: $*" >&2; exit 1; }
WINE_BIN=/usr/lib/wine
[ -x "$WINE_BIN/wine64" ] || die "wine64 is not installed ($WINE_BIN/wine64 missing): run as root: FSD_EXTRA=wine source scripts/setup.sh (or apt-get install wine64)"
command -v x86_64-w64-mingw32-gcc >/dev/null || die "x86_64-w64-mingw32-gcc is missing: apt-get install gcc-mingw-w64-x86-64-win32 mingw-w64-x86-64-dev"
command -v x86_64-w64-mingw32-objdump >/dev/null || die "x86_64-w64-mingw32-objdump is missing: apt-get install binutils-mingw-w64-x86-64"
builtin=/usr/lib/x86_64-linux-gnu/wine/x86_64-windows/iphlpapi.dll
[ -f "$builtin" ] || die "Wine's builtin $builtin is missing (is wine64 complete?)"

export PATH="$WINE_BIN:$PATH" WINEPREFIX="$prefix" WINEDEBUG=-all
mkdir -p "$prefix"
sys32="$prefix/drive_c/windows/system32"
if [ ! -f "$prefix/system.reg" ] || [ ! -d "$sys32" ]; then
    echo "fsdriver wine setup: creating the Wine prefix $prefix" >&2
    # rundll32 of syswow64 is missing without 32-bit Wine: harmless, so stderr is dropped.
    wine64 wineboot -i >/dev/null 2>&1 || die "wineboot failed in $prefix"
    wineserver -w
    [ -d "$sys32" ] || die "wineboot did not create $sys32"
fi

# The shim, rebuilt when its source or Wine's builtin changed (stamp = both checksums).
stamp="$(cat "$here/iphlpapi-shim.c" "$builtin" | sha256sum | cut -c1-16)"
if [ "$(cat "$prefix/fsdriver-shim.stamp" 2>/dev/null)" != "$stamp" ] || [ ! -f "$sys32/iphlpapi.dll" ]; then
    build="$(mktemp -d)"
    trap 'rm -rf "$build"' EXIT
    {
        echo "LIBRARY iphlpapi.dll"
        echo "EXPORTS"
        echo "    GetAnycastIpAddressTable"
        # The "[Ordinal/Name Pointer] Table" section lists one exported name per line. The 17
        # decorated stdcall names of the packet-filter API (_PfXxx@N) cannot be written in a .def
        # (@ starts an ordinal) and are left out: nothing in the JVM uses them.
        x86_64-w64-mingw32-objdump -p "$builtin" \
            | sed -n '/^\[Ordinal\/Name Pointer\] Table/,/^$/p' \
            | sed -n 's/^[[:space:]]*\[ *[0-9]*\] \([A-Za-z_][A-Za-z0-9_]*\)$/\1/p' \
            | grep -vx GetAnycastIpAddressTable \
            | sed 's/.*/    &=iphlpwine.&/'
    } > "$build/iphlpapi-shim.def"
    n=$(grep -c '=iphlpwine\.' "$build/iphlpapi-shim.def")
    [ "$n" -gt 100 ] || die "read only $n exports from $builtin (objdump format changed?)"
    x86_64-w64-mingw32-gcc -shared -O2 -Wall -o "$build/iphlpapi.dll" \
        "$here/iphlpapi-shim.c" "$build/iphlpapi-shim.def" -Wl,--enable-stdcall-fixup -s \
        || die "building the iphlpapi shim failed"
    cp "$builtin" "$sys32/iphlpwine.dll"
    cp "$build/iphlpapi.dll" "$sys32/iphlpapi.dll"
    echo "$stamp" > "$prefix/fsdriver-shim.stamp"
    echo "fsdriver wine setup: iphlpapi shim installed ($n forwarded exports)" >&2
fi
echo "$prefix"
