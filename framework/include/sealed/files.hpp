// Small files a scheme keeps beside it: keys (written once with mode 0600, or replaced whole) and
// line lists (allowlists, deny lists). What every plugin with keys on disk needs, in one place.
#pragma once

#include <sealed/bytes.hpp>
#include <sealed/error.hpp>

#include <filesystem>
#include <string>
#include <string_view>

#include <sys/types.h>

namespace sealed::files {

// The whole file; the file system's error (ENOENT, EACCES…) otherwise. secure_bytes: a key
// read here is wiped when freed.
result<secure_bytes> read(const std::filesystem::path& file);

// Writes `data` to `file` with `mode` through a temporary file, fsync and a rename: a crash
// leaves the old file or the new one, never half of either; the mode is set before any byte.
error_code replace(const std::filesystem::path& file, const_bytes data, mode_t mode = 0600);

// Creates `file` with `mode` and `data` only if it does not exist (O_EXCL): of two processes
// starting at once, exactly one writes. False when the file was already there.
result<bool> create_exclusive(const std::filesystem::path& file, const_bytes data, mode_t mode = 0600);

// `s` without leading and trailing spaces, tabs, CR and LF.
std::string_view trim(std::string_view s);

// Calls `f(line)` for each line of a list file: what follows '#' cut, trimmed, empty lines
// skipped; stops at and returns the first error `f` returns.
template <class F>
error_code for_each_list_line(std::string_view text, F f) {
    while (!text.empty()) {
        const auto end = text.find('\n');
        auto line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
        line = trim(line.substr(0, line.find('#')));
        if (line.empty()) continue;
        if (auto ec = f(line)) return ec;
    }
    return {};
}

}  // namespace sealed::files
