#!/usr/bin/env bash
# Builds kube-apiserver once per version (../build.sh); prints its path.
exec "$(dirname "$0")/../build.sh" kube-apiserver "$(dirname "$0")"
