// A directory under /tmp with a random name, removed with everything in it when the test ends.
// It exists once something is written to it (write()) or a test creates it.
#pragma once

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace sealed_test {

struct temp_dir {
    std::filesystem::path path;
    explicit temp_dir(const std::string& prefix = "sealed-test-") {
        std::random_device rd;
        path = std::filesystem::temp_directory_path() / (prefix + std::to_string(rd()) + std::to_string(rd()));
    }
    // Writes `text` to <path>/<name>, making the directory first; the file's path.
    std::string write(const std::string& name, const std::string& text) const {
        std::filesystem::create_directories(path);
        std::ofstream(path / name) << text;
        return (path / name).string();
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

}  // namespace sealed_test
