#!/usr/bin/env bash
# One command to get a server: installs dependencies, builds caucusd (Release) and starts it.
#   ./run.sh                 standalone on 127.0.0.1:2181, data under $CAUCUS_DATA_DIR or
#                            ~/.local/share/caucus
#   ./run.sh path/zoo.cfg    with a ZooKeeper-format config file
set -euo pipefail
cd "$(dirname "$0")"
./deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DCAUCUS_BUILD_TESTS=OFF > /dev/null
cmake --build build/release -j"$(nproc)" --target caucusd
exec build/release/server/caucusd "$@"
