#!/usr/bin/env bash
# Sourced by ./test, ./demo and bench/run.sh: makes sure this machine has what fsdriver needs,
# installing what is missing (Debian packages, as root), and exports JAVA_HOME for JDK 25.
# Usage: [FSD_EXTRA="sshfs bindfs ..."] source scripts/setup.sh
# (a variable, not arguments: a sourced script sees its caller's arguments when given none)

fsd_die() { echo "fsdriver: $*" >&2; exit 1; }

fsd_find_jdk25() {
    local c
    for c in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk-arm64 /usr/lib/jvm/java-25-openjdk-amd64; do
        [ -n "$c" ] && [ -x "$c/bin/java" ] || continue
        if "$c/bin/java" -version 2>&1 | head -1 | grep -Eq '"(2[5-9]|[3-9][0-9])[."]'; then
            echo "$c"; return 0
        fi
    done
    return 1
}

JAVA_HOME=$(fsd_find_jdk25) || fsd_die "needs JDK 25 (looked at \$JAVA_HOME and /usr/lib/jvm/temurin-25-jdk-amd64); install Temurin 25 or set JAVA_HOME"
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"

# Debian packages: command -> package. fuse3 gives fusermount3 (and the fuse kernel helpers),
# inotify-tools gives inotifywait (end-to-end event tests), maven builds.
fsd_need=()
fsd_want() { command -v "$1" >/dev/null 2>&1 || fsd_need+=("$2"); }
fsd_want mvn maven
fsd_want fusermount3 fuse3
fsd_want inotifywait inotify-tools
fsd_want git git
fsd_want systemd-analyze systemd   # MountHelperEndToEndTest verifies the units in dist/systemd
fsd_want man man-db                 # ManPageTest, InstallEndToEndTest render fsdriver(1)
fsd_want groff groff-base
fsd_want setpriv util-linux          # a mount's death watch (DeathWatch); Essential on Debian
for p in ${FSD_EXTRA:-}; do
    case "$p" in
        sshfs) fsd_want sshfs sshfs ;;
        bindfs) fsd_want bindfs bindfs ;;
        sshd) [ -x /usr/sbin/sshd ] || fsd_need+=(openssh-server) ;;
        # The Windows server under Wine (scripts/wine/setup.sh makes the prefix and the shim).
        wine)
            [ -x /usr/lib/wine/wine64 ] || fsd_need+=(wine64)
            fsd_want x86_64-w64-mingw32-gcc gcc-mingw-w64-x86-64-win32
            fsd_want x86_64-w64-mingw32-objdump binutils-mingw-w64-x86-64
            [ -f /usr/share/mingw-w64/include/windows.h ] || fsd_need+=(mingw-w64-x86-64-dev)
            ;;
        *) fsd_want "$p" "$p" ;;
    esac
done
if [ ${#fsd_need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "fsdriver: installing ${fsd_need[*]} (apt-get)" >&2
        apt-get update -qq >/dev/null 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${fsd_need[@]}" >/dev/null \
            || fsd_die "could not install ${fsd_need[*]}"
    else
        fsd_die "missing ${fsd_need[*]}: install them (e.g. sudo apt-get install ${fsd_need[*]})"
    fi
fi
[ -e /dev/fuse ] || modprobe fuse 2>/dev/null || true
[ -e /dev/fuse ] || fsd_die "/dev/fuse is missing: this kernel has no FUSE (on WSL2 it is built in)"
