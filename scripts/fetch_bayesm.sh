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

# shellcheck source=scripts/unpack_deb.sh
source "${repo_root}/scripts/unpack_deb.sh"
unpack_deb r-cran-bayesm "${dest}"

if [[ ! -f "${rda}" ]]; then
    echo "error: the r-cran-bayesm package did not contain ${rda#"${dest}"/}" >&2
    exit 1
fi
echo "bayesm data unpacked: ${rda}"
