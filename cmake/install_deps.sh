#!/usr/bin/env bash
# Installs every Debian package that the build, the tests and the benchmarks need.
# Idempotent: installs only what is missing. Works as root or through sudo.
set -euo pipefail

BUILD_PKGS=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost-dev libboost-system-dev libssl-dev libcurl4-openssl-dev
  libprotobuf-dev protobuf-compiler libsnappy-dev libre2-dev
  libyaml-cpp-dev nlohmann-json3-dev libfmt-dev libspdlog-dev libcli11-dev
  prometheus-cpp-dev libgtest-dev libgmock-dev libbenchmark-dev
)
# Real peers used by the tests and benchmarks, and the bench harness' Python deps.
PEER_PKGS=(
  prometheus prometheus-alertmanager prometheus-blackbox-exporter victoria-metrics nginx
  python3 python3-protobuf python3-snappy python3-requests python3-yaml
  curl openssl procps psmisc
  # helm/tests/check.sh: offline `helm template` stand-in (Go text/template + sprig + schema).
  golang-go golang-github-masterminds-sprig-dev golang-github-ghodss-yaml-dev
  golang-github-xeipuuv-gojsonschema-dev
  # tests/statuspage: the on-call page loaded in headless Chromium; tests/fuzz: libFuzzer.
  chromium clang libclang-rt-14-dev
)
EXTRA_PKGS=()
case "${1:-all}" in
  build) PKGS=("${BUILD_PKGS[@]}") ;;
  all) PKGS=("${BUILD_PKGS[@]}" "${PEER_PKGS[@]}") ;;
  browser) PKGS=(chromium) ;;
  *) echo "usage: $0 [build|all|browser]" >&2; exit 2 ;;
esac
PKGS+=("${EXTRA_PKGS[@]}")

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#PKGS[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Debian's packaged services (prometheus, nginx, ...) must not start on install: tests run
# their own instances on free loopback ports.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
