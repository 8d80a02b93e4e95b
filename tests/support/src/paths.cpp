#include <sealed_test/paths.hpp>

namespace sealed_test {

const std::string& source_dir() {
    static const std::string path = SEALED_SOURCE_DIR;
    return path;
}
const std::string& bin_dir() {
    static const std::string path = SEALED_BIN_DIR;
    return path;
}
const std::string& vectors_dir() {
    static const std::string path = SEALED_VECTORS_DIR;
    return path;
}
const std::string& node() {
    static const std::string path = SEALED_NODE;
    return path;
}

}  // namespace sealed_test
