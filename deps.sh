#!/usr/bin/env bash
# Installs the Debian 12 packages Caucus needs to build, run and test. Idempotent: installs
# only what is missing, and runs `apt-get update` only when something is.
set -euo pipefail

PACKAGES=(
  # build
  cmake make g++ pkg-config ccache
  libboost-dev libssl-dev libgtest-dev libgmock-dev
  # the stock ZooKeeper C client: compatibility test and codec cross-checks
  libzookeeper-mt-dev
  # fuzzing and sanitizers
  clang libclang-rt-14-dev
  # compatibility tests: the real ZooKeeper (reference server, zkCli.sh) and kazoo
  zookeeper default-jre-headless python3 python3-kazoo python3-pytest python3-pytest-timeout
  # compatibility tests: Apache Curator, compiled at test time with javac (tests/compat/test_curator.py)
  libcurator-framework-java libcurator-recipes-java libcurator-client-java default-jdk-headless
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "deps.sh: missing packages: ${missing[*]} (run as root to install them)" >&2
  exit 1
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
