#!/usr/bin/env bash
# build.sh NAME DIR: builds the Kubernetes component NAME (kube-apiserver,
# kubelet) from the module in DIR at the k8s.io/kubernetes version its go.mod
# pins, once per version: the binary is cached in $ACTLOG_CACHE (default
# ~/.cache/actlog). Prints the binary's path.
set -euo pipefail
name=$1
cd "$2"
version=$(awk '$1 == "k8s.io/kubernetes" {print $2; exit}' go.mod)
[ -n "$version" ] || { echo "build.sh: no k8s.io/kubernetes version in $2/go.mod" >&2; exit 1; }
cache="${ACTLOG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/actlog}"
bin="$cache/$name-$version"
if [ ! -x "$bin" ]; then
	mkdir -p "$cache"
	echo "building $name $version into $cache (first run: several minutes)" >&2
	# The checksum database does not know some k8s.io modules; go.sum,
	# committed, holds their checksums. The version the binary reports is
	# the one it is built from.
	minor=$(echo "$version" | cut -d. -f2)
	GOWORK=off GONOSUMDB=k8s.io GOFLAGS=-mod=readonly go build -o "$bin.tmp" \
		-ldflags "-X k8s.io/component-base/version.gitVersion=$version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor" .
	mv "$bin.tmp" "$bin"
fi
echo "$bin"
