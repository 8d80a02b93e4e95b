#include <sealed/libp2p/error.hpp>
#include <sealed/libp2p/identity.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iterator>

namespace sealed::libp2p {

result<identity> identity::load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return error_code(errno ? errno : ENOENT, boost::system::system_category());
    const secure_bytes protobuf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto key = parse_private_key_protobuf(protobuf);
    if (!key) return error::bad_key_file;
    return identity(std::move(*key));
}

result<identity> identity::load_or_create(const std::string& path) {
    if (::access(path.c_str(), F_OK) == 0) return load(path);
    auto made = generate();
    const auto protobuf = private_key_protobuf(made.key());
    // O_EXCL: of two processes starting at once, one writes and the other reads what it wrote.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) return errno == EEXIST ? load(path) : result<identity>(error_code(errno, boost::system::system_category()));
    const bool written = ::write(fd, protobuf.data(), protobuf.size()) == static_cast<ssize_t>(protobuf.size());
    ::close(fd);
    if (!written) return error_code(EIO, boost::system::system_category());
    return made;
}

}  // namespace sealed::libp2p
