#!/usr/bin/env bash
# Fetch Fashion-MNIST (Zalando Research, MIT) from Debian's dataset-fashion-mnist package without
# installing it: download the .deb and unpack it under <repo>/.cache/fashion-mnist (git-ignored).
# The visual-search tests and benchmarks/search_visual.py read it through
# shopmind.datasets.fashion_mnist.load_fashion_mnist.
#
# Usage: scripts/fetch_fashion_mnist.sh     # or SHOPMIND_FASHION_MNIST_DIR=/some/dir scripts/fetch_fashion_mnist.sh
# Idempotent: does nothing when the four idx files are already there. Needs apt-get and dpkg-deb
# (Debian/Ubuntu); `apt-get update` runs only if the first download fails, and needs root.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${SHOPMIND_FASHION_MNIST_DIR:-${repo_root}/.cache/fashion-mnist}"
# The .deb's own layout is kept: the idx files end up in ${dest}/usr/share/datasets/fashion-mnist.
data="${dest}/usr/share/datasets/fashion-mnist"
files=(train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz)

have_all() {
    local folder="$1" name
    for name in "${files[@]}"; do
        [[ -f "${folder}/${name}" ]] || return 1
    done
    return 0
}

if have_all "${data}"; then
    echo "Fashion-MNIST already present: ${data}"
    exit 0
fi
# Installed system-wide (`apt-get install dataset-fashion-mnist`): the loader finds it there too.
if [[ -z "${SHOPMIND_FASHION_MNIST_DIR:-}" ]] && have_all /usr/share/datasets/fashion-mnist; then
    echo "Fashion-MNIST installed system-wide: /usr/share/datasets/fashion-mnist"
    exit 0
fi

# shellcheck source=scripts/unpack_deb.sh
source "${repo_root}/scripts/unpack_deb.sh"
unpack_deb dataset-fashion-mnist "${dest}"

if ! have_all "${data}"; then
    echo "error: the dataset-fashion-mnist package did not contain all of ${files[*]} in ${data#"${dest}"/}" >&2
    exit 1
fi
echo "Fashion-MNIST unpacked: ${data}"
