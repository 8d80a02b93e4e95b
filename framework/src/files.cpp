#include <sealed/files.hpp>

#include <cerrno>
#include <fstream>
#include <iterator>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sealed::files {
namespace {

error_code last_errno() { return {errno, boost::system::system_category()}; }

error_code write_all(int fd, const_bytes data) {
    std::size_t done = 0;
    while (done < data.size()) {
        const auto n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return last_errno();
        }
        done += static_cast<std::size_t>(n);
    }
    return {};
}

}  // namespace

result<secure_bytes> read(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return error_code(errno ? errno : ENOENT, boost::system::system_category());
    return secure_bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

error_code replace(const std::filesystem::path& file, const_bytes data, mode_t mode) {
    const auto tmp = file.string() + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return last_errno();
    ::fchmod(fd, mode);  // the umask may have narrowed it, and an old .tmp keeps its mode
    auto ec = write_all(fd, data);
    if (!ec && ::fsync(fd) != 0) ec = last_errno();
    if (::close(fd) != 0 && !ec) ec = last_errno();
    if (!ec && ::rename(tmp.c_str(), file.c_str()) != 0) ec = last_errno();
    if (ec) ::unlink(tmp.c_str());
    return ec;
}

result<bool> create_exclusive(const std::filesystem::path& file, const_bytes data, mode_t mode) {
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    // in_place_error: a bare error_code would also convert to bool.
    if (fd < 0) return errno == EEXIST ? result<bool>(false) : result<bool>(boost::system::in_place_error, last_errno());
    auto ec = write_all(fd, data);
    if (!ec && ::fsync(fd) != 0) ec = last_errno();
    if (::close(fd) != 0 && !ec) ec = last_errno();
    if (ec) {
        ::unlink(file.c_str());  // no half-written key for the next start to trip on
        return {boost::system::in_place_error, ec};
    }
    return true;
}

std::string_view trim(std::string_view s) {
    constexpr std::string_view blanks = " \t\r\n";
    const auto first = s.find_first_not_of(blanks);
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(blanks) - first + 1);
}

}  // namespace sealed::files
