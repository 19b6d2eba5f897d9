#!/usr/bin/env bash
# Builds the kubelet once per version (../build.sh); prints its path.
exec "$(dirname "$0")/../build.sh" kubelet "$(dirname "$0")"
