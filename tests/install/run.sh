#!/usr/bin/env bash
# Installs the build tree into a temporary prefix and builds two outside projects against it
# with find_package(sealed): tests/install/consumer (plaintext over the memory transport) and
# tests/install/tutorial (docs/plugin-authors.md's scheme over ws on loopback); runs both.
# Usage: run.sh <build-dir> <source-dir> <c++ compiler> [extra compile/link flags]
# The compiler must be the one sealed was built with (sealedConfig.cmake says why); sanitized
# builds pass their -fsanitize flags so the projects link against the instrumented libraries.
set -euo pipefail
build_dir=$1; source_dir=$2; cxx=$3; flags=${4:-}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
for project in consumer tutorial; do
  cmake -S "$source_dir/tests/install/$project" -B "$work/$project" -G Ninja \
    -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$cxx" \
    -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" >/dev/null
  cmake --build "$work/$project" >/dev/null
done
"$work/consumer/consumer"
"$work/tutorial/tutorial"
