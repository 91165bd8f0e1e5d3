#!/usr/bin/env bash
# Builds Kubernetes commands from the k8s.io/kubernetes Go module pinned in go.mod, into
# ~/.cache/flotilla/bin/kubernetes-<version>/. Skips every command already there. Prints
# the binary directory on its last line.
#
#   scripts/k8s/build.sh                               # all five: kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl
#   scripts/k8s/build.sh kube-apiserver kube-controller-manager   # only these (what control-plane.ts asks for)
#   FLOTILLA_CACHE_DIR=/some/dir ...                    # cache root (default ~/.cache/flotilla)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version="$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v1\./ { print $2; exit }' "$here/go.mod")"
if [[ -z "$version" ]]; then
  echo "build.sh: cannot read the k8s.io/kubernetes version from $here/go.mod" >&2
  exit 1
fi
cache_root="${FLOTILLA_CACHE_DIR:-$HOME/.cache/flotilla}"
out="$cache_root/bin/kubernetes-$version"
known=(kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl)
if [[ $# -gt 0 ]]; then commands=("$@"); else commands=("${known[@]}"); fi
for cmd in "${commands[@]}"; do
  [[ " ${known[*]} " == *" $cmd "* ]] || { echo "build.sh: unknown command '$cmd' (known: ${known[*]})" >&2; exit 1; }
done

missing=()
for cmd in "${commands[@]}"; do
  [[ -x "$out/$cmd" ]] || missing+=("$cmd")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "$out"
  exit 0
fi

command -v go >/dev/null || { echo "build.sh: Go is required to build Kubernetes" >&2; exit 1; }
mkdir -p "$out"
# Parallel test processes wait for one build instead of racing (re-checked under the lock).
if [[ -z "${FLOTILLA_K8S_BUILD_LOCKED:-}" ]]; then
  FLOTILLA_K8S_BUILD_LOCKED=1 exec flock -w 3600 "$out/.build.lock" bash "$here/build.sh" "$@"
fi
major="${version#v}"; major="${major%%.*}"
minor="${version#v*.}"; minor="${minor%%.*}"
# Stamp the version the way upstream's hack/lib/version.sh does, so /version reports it.
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  # The module zip carries no commit; an empty gitCommit beats the "$Format:%H$" placeholder.
  ldflags+=" -X $pkg.gitCommit= -X $pkg.gitTreeState=clean -X $pkg.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
done

cd "$here"
for cmd in "${missing[@]}"; do
  echo "build.sh: building $cmd $version (several minutes on a cold cache)" >&2
  start=$(date +%s)
  # Build into a temporary name and rename, so an interrupted build never looks cached.
  CGO_ENABLED=0 nice -n "${FLOTILLA_BUILD_NICE:-10}" go build -trimpath -ldflags "$ldflags" \
    -o "$out/.$cmd.partial" "k8s.io/kubernetes/cmd/$cmd"
  mv "$out/.$cmd.partial" "$out/$cmd"
  echo "build.sh: built $cmd in $(( $(date +%s) - start ))s" >&2
done
echo "$out"
