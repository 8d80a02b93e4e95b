// Where a test finds the source tree, the built binaries, the shared vectors and node. The
// paths are compiled into one small TU (tests/support/src/paths.cpp), not into every test, so
// that the test sources compile to the same bytes in any checkout and ccache can share them.
#pragma once

#include <string>

namespace sealed_test {

const std::string& source_dir();   // the repository root
const std::string& bin_dir();      // build/bin: the examples and tools the tests start
const std::string& vectors_dir();  // ../shared/vectors (Wycheproof, Noise, ...)
const std::string& node();         // the node executable CMake found (empty if none)

}  // namespace sealed_test
