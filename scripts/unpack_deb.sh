#!/usr/bin/env bash
# unpack_deb PACKAGE DEST: download a Debian package's .deb (without installing it) and unpack its
# files under DEST. Sourced by the scripts/fetch_*.sh data fetchers. Needs apt-get and dpkg-deb;
# `apt-get update` runs only if the first download fails (a fresh machine), and needs root.

unpack_deb() {
    local package="$1" dest="$2" tool tmp debs
    for tool in apt-get dpkg-deb; do
        if ! command -v "${tool}" >/dev/null 2>&1; then
            echo "error: ${tool} not found; fetching ${package} needs a Debian-based system" >&2
            return 1
        fi
    done
    tmp="$(mktemp -d)"
    # apt's _apt sandbox user must be able to write the download directory, or apt warns and
    # falls back to downloading unsandboxed.
    chmod 0777 "${tmp}"
    if ! (cd "${tmp}" && apt-get download "${package}"); then
        echo "apt-get download failed; running apt-get update and retrying" >&2
        apt-get update
        (cd "${tmp}" && apt-get download "${package}")
    fi
    debs=("${tmp}/${package}"_*.deb)
    if [[ ! -f "${debs[0]}" ]]; then
        echo "error: apt-get download produced no ${package} .deb" >&2
        rm -rf "${tmp}"
        return 1
    fi
    mkdir -p "${dest}"
    dpkg-deb -x "${debs[0]}" "${dest}"
    rm -rf "${tmp}"
}
