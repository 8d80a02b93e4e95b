#include <sealed/noise/error.hpp>
#include <sealed/noise/keys.hpp>

#include <sealed/crypto/encoding.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

namespace sealed::noise {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

result<std::string> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return error_code(errno ? errno : ENOENT, boost::system::system_category());
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

std::string peer_id_of(const crypto::x25519_public_key& key) { return crypto::hex_encode(key.bytes()); }

result<crypto::x25519_private_key> load_static_key(const std::string& path) {
    auto text = read_file(path);
    if (!text) return text.error();
    const auto raw = crypto::hex_decode(trim(*text));
    if (!raw || raw->size() != crypto::x25519_private_key::encoded_size) return error::bad_static_key_file;
    auto key = crypto::x25519_private_key::from_bytes(*raw);
    if (!key) return error::bad_static_key_file;
    return std::move(*key);
}

result<crypto::x25519_private_key> load_or_create_static_key(const std::string& path) {
    if (::access(path.c_str(), F_OK) == 0) return load_static_key(path);
    auto key = crypto::x25519_private_key::generate();
    const auto text = crypto::hex_encode(key.private_bytes()) + "\n";
    // O_EXCL: two processes starting at once do not both write a key.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) return errno == EEXIST ? load_static_key(path) : error_code(errno, boost::system::system_category());
    const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    if (!written) return error_code(EIO, boost::system::system_category());
    return key;
}

result<allowlist> allowlist::parse(std::string_view text) {
    allowlist list;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        auto line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        line = trim(line.substr(0, line.find('#')));
        if (line.empty()) continue;
        const auto raw = crypto::hex_decode(line);
        if (!raw) return error::bad_allowlist_line;
        auto key = crypto::x25519_public_key::from_bytes(*raw);
        if (!key) return error::bad_allowlist_line;
        list.add(*key);
    }
    return list;
}

result<allowlist> allowlist::load(const std::string& path) {
    auto text = read_file(path);
    if (!text) return text.error();
    return parse(*text);
}

}  // namespace sealed::noise
