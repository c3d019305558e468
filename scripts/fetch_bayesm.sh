#!/usr/bin/env bash
# Fetch bayesm's data (Dominick's orange juice) from Debian's r-cran-bayesm package without
# installing R: download the .deb and unpack it under <repo>/.cache/bayesm (git-ignored).
#
# Usage: scripts/fetch_bayesm.sh            # or SHOPMIND_BAYESM_DIR=/some/dir scripts/fetch_bayesm.sh
# Idempotent: does nothing when the .rda file is already there. Needs apt-get and dpkg-deb
# (Debian/Ubuntu); `apt-get update` runs only if the first download fails, and needs root.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${SHOPMIND_BAYESM_DIR:-${repo_root}/.cache/bayesm}"
rda="${dest}/usr/lib/R/site-library/bayesm/data/orangeJuice.rda"

if [[ -f "${rda}" ]]; then
    echo "bayesm data already present: ${rda}"
    exit 0
fi

for tool in apt-get dpkg-deb; do
    if ! command -v "${tool}" >/dev/null 2>&1; then
        echo "error: ${tool} not found; this script needs a Debian-based system" >&2
        exit 1
    fi
done

tmp="$(mktemp -d)"
trap 'rm -rf "${tmp}"' EXIT
# apt's _apt sandbox user must be able to write the download directory, or apt warns and
# falls back to downloading unsandboxed.
chmod 0777 "${tmp}"

cd "${tmp}"
if ! apt-get download r-cran-bayesm; then
    # A fresh machine may have no package lists yet.
    echo "apt-get download failed; running apt-get update and retrying" >&2
    apt-get update
    apt-get download r-cran-bayesm
fi

debs=("${tmp}"/r-cran-bayesm_*.deb)
if [[ ! -f "${debs[0]}" ]]; then
    echo "error: apt-get download produced no r-cran-bayesm .deb" >&2
    exit 1
fi

mkdir -p "${dest}"
dpkg-deb -x "${debs[0]}" "${dest}"

if [[ ! -f "${rda}" ]]; then
    echo "error: ${debs[0]##*/} did not contain ${rda#"${dest}"/}" >&2
    exit 1
fi
echo "bayesm data unpacked: ${rda}"
