# Sourced by deploy/build-deb, deploy/image/build and deploy/image/smoke-test: each installs
# what it needs on a fresh Debian machine instead of stopping to name one more package (tried
# as a new user would, the smoke test once stopped four times: QEMU, the KMS headers,
# cargo-deb, …). Installing needs root; without root the missing pieces are named in one
# message, with the command that installs them.
#
# The caller defines die().

# Debian packages, installed with apt-get when missing (one apt-get update, the first time).
need_packages() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]} (as root: apt-get install ${missing[*]})"
    echo "installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    if [ -z "${_waystation_apt_updated:-}" ]; then
        apt-get update -qq || die "apt-get update failed"
        _waystation_apt_updated=1
    fi
    local plain=() qemu=()
    for p in "${missing[@]}"; do
        case "$p" in qemu-system-*|qemu-user-static) qemu+=("$p") ;; *) plain+=("$p") ;; esac
    done
    if [ ${#plain[@]} -gt 0 ]; then
        apt-get install -y -qq --no-install-recommends "${plain[@]}" >/dev/null \
            || die "apt-get could not install: ${plain[*]}"
    fi
    [ ${#qemu[@]} -eq 0 ] || install_qemu "${qemu[@]}"
}

# QEMU's emulators must come from the release of the qemu-utils already installed: these build
# machines come with qemu-utils from bookworm-backports, which breaks bookworm's own
# qemu-system-common, and apt-get then refuses ("held broken packages"). So when qemu-utils is
# a backport, the emulators come from backports too (the suite is added when missing).
install_qemu() {
    local utils target=() codename
    utils="$(dpkg-query -W -f='${Version}' qemu-utils 2>/dev/null || true)"
    case "$utils" in
        *~bpo*)
            codename="$(. /etc/os-release && echo "$VERSION_CODENAME")"
            if ! apt-cache policy 2>/dev/null | grep -q "$codename-backports"; then
                echo "adding $codename-backports (qemu-utils $utils is a backport)" >&2
                printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: %s-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
                    "$codename" >/etc/apt/sources.list.d/waystation-backports.sources
                apt-get update -qq || die "apt-get update failed"
            fi
            target=(-t "$codename-backports")
            ;;
    esac
    apt-get install -y -qq --no-install-recommends "${target[@]}" "$@" >/dev/null \
        || die "apt-get could not install: $* ${target[*]}"
}

# The architecture's packages become installable (for libudev-dev:arm64 and the like).
need_foreign_architecture() {
    dpkg --print-foreign-architectures | grep -qx "$1" && return 0
    [ "$(id -u)" = 0 ] || die "dpkg does not know the $1 architecture (as root: dpkg --add-architecture $1 && apt-get update)"
    dpkg --add-architecture "$1"
    _waystation_apt_updated=""
}

# cargo-deb, built from crates.io when missing (the version the docs measured; about 3
# minutes on 2 cores).
need_cargo_deb() {
    command -v cargo >/dev/null || die "no cargo: install Rust 1.95 or newer with rustup"
    command -v cargo-deb >/dev/null && return 0
    echo "installing cargo-deb 3.8.0" >&2
    cargo install cargo-deb --locked --version 3.8.0 >&2 || die "cargo install cargo-deb failed"
}

# The Rust standard library for a cross target.
need_rust_target() {
    rustup target list --installed 2>/dev/null | grep -qx "$1" && return 0
    echo "adding the Rust target $1" >&2
    rustup target add "$1" >&2 \
        || die "rustup target add $1 failed (it needs the Rust distribution server)"
}

# Running another architecture's programs through qemu-user and binfmt_misc (an arm64 root on
# an amd64 machine). ARCH is Debian's name (arm64, amd64).
need_binfmt() {
    local name
    case "$1" in
        arm64) name=qemu-aarch64 ;;
        amd64) name=qemu-x86_64 ;;
        *) die "no binfmt handler known for $1" ;;
    esac
    # arch-test: mmdebstrap uses it to check the foreign architecture can run, and stops
    # ("install arch-test for foreign architecture support") without it.
    need_packages qemu-user-static binfmt-support arch-test
    if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
        mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null \
            || die "binfmt_misc is not mounted and cannot be (a container without it cannot build an $1 root)"
    fi
    if ! grep -qx enabled "/proc/sys/fs/binfmt_misc/$name" 2>/dev/null; then
        update-binfmts --enable "$name" >/dev/null 2>&1 || true
        # QEMU 10 (bookworm-backports, trixie) registers through systemd's binfmt.d instead of
        # update-binfmts; without systemd running (a container, a build chroot) nothing loads it,
        # so its own file is loaded here.
        if ! grep -qx enabled "/proc/sys/fs/binfmt_misc/$name" 2>/dev/null \
            && [ -f "/usr/lib/binfmt.d/$name.conf" ]; then
            /usr/lib/systemd/systemd-binfmt "/usr/lib/binfmt.d/$name.conf" >/dev/null 2>&1 || true
        fi
        grep -qx enabled "/proc/sys/fs/binfmt_misc/$name" 2>/dev/null \
            || die "could not enable the $name binfmt handler (update-binfmts --enable $name)"
    fi
}
