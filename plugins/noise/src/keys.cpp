#include <sealed/noise/error.hpp>
#include <sealed/noise/keys.hpp>

#include <sealed/crypto/encoding.hpp>
#include <sealed/files.hpp>

namespace sealed::noise {

std::string peer_id_of(const crypto::x25519_public_key& key) { return crypto::hex_encode(key.bytes()); }

result<crypto::x25519_private_key> load_static_key(const std::string& path) {
    auto text = files::read(path);
    if (!text) return text.error();
    const auto raw = crypto::hex_decode(files::trim(as_string_view(*text)));
    if (!raw || raw->size() != crypto::x25519_private_key::encoded_size) return error::bad_static_key_file;
    auto key = crypto::x25519_private_key::from_bytes(*raw);
    if (!key) return error::bad_static_key_file;
    return std::move(*key);
}

result<crypto::x25519_private_key> load_or_create_static_key(const std::string& path) {
    auto key = crypto::x25519_private_key::generate();
    const auto text = crypto::hex_encode(key.private_bytes()) + "\n";
    auto created = files::create_exclusive(path, as_bytes(text));
    if (!created) return created.error();
    if (!*created) return load_static_key(path);  // there already, or another process won the race
    return key;
}

result<allowlist> allowlist::parse(std::string_view text) {
    allowlist list;
    auto ec = files::for_each_list_line(text, [&](std::string_view line) -> error_code {
        const auto raw = crypto::hex_decode(line);
        auto key = raw ? crypto::x25519_public_key::from_bytes(*raw) : result<crypto::x25519_public_key>(errc::invalid_encoding);
        if (!key) return error::bad_allowlist_line;
        list.add(*key);
        return {};
    });
    if (ec) return ec;
    return list;
}

result<allowlist> allowlist::load(const std::string& path) {
    auto text = files::read(path);
    if (!text) return text.error();
    return parse(as_string_view(*text));
}

}  // namespace sealed::noise
