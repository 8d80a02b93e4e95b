#include <sealed/pnet/psk.hpp>

#include <sealed/crypto/encoding.hpp>
#include <sealed/crypto/hash.hpp>
#include <sealed/crypto/stream.hpp>

#include <algorithm>
#include <cctype>

namespace sealed::pnet {
namespace {

// The next line of `text` without its \n or \r\n; advances `text` past it.
std::string_view next_line(std::string_view& text) {
    const auto end = text.find('\n');
    auto line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

std::string lowercase(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return out;
}

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

}  // namespace

result<psk> parse_psk_file(const_bytes file) {
    std::string_view text = as_string_view(file);
    if (next_line(text) != psk_header) return make_error_code(error::bad_psk_header);
    const auto encoding = lowercase(next_line(text));
    if (encoding == "/bin/") {
        // The rest is the key itself (libp2p reads it raw); one trailing line ending is allowed.
        auto raw = text;
        if (raw.size() == psk_size + 1 && raw.back() == '\n') raw.remove_suffix(1);
        else if (raw.size() == psk_size + 2 && raw.ends_with("\r\n")) raw.remove_suffix(2);
        if (raw.size() != psk_size) return make_error_code(error::bad_psk_length);
        return psk(raw.begin(), raw.end());
    }
    const auto key_text = next_line(text);
    if (!text.empty() && !std::all_of(text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r'; }))
        return make_error_code(error::bad_psk_characters);  // anything after the key line
    if (encoding == "/base16/") {
        if (!std::all_of(key_text.begin(), key_text.end(), is_hex) || key_text.size() % 2)
            return make_error_code(error::bad_psk_characters);
        if (key_text.size() != 2 * psk_size) return make_error_code(error::bad_psk_length);
        auto raw = crypto::hex_decode(key_text);
        if (!raw) return make_error_code(error::bad_psk_characters);
        psk key(raw->begin(), raw->end());
        secure_wipe(raw->data(), raw->size());
        return key;
    }
    if (encoding == "/base64/") {
        auto raw = crypto::base64_decode(key_text);
        if (!raw) return make_error_code(error::bad_psk_characters);
        psk key(raw->begin(), raw->end());
        secure_wipe(raw->data(), raw->size());
        if (key.size() != psk_size) return make_error_code(error::bad_psk_length);
        return key;
    }
    return make_error_code(error::unknown_psk_encoding);
}

std::string format_psk_file(const_bytes key) {
    // Appended piece by piece: GCC 12 warns (falsely, -Warray-bounds) on the chained operator+.
    std::string file;
    file.reserve(psk_header.size() + 10 + 2 * key.size());
    file.append(psk_header).append("\n/base16/\n").append(crypto::hex_encode(key));
    return file;
}

result<secure_bytes> parse_master_secret(std::string_view text) {
    auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    if (text.size() < 64 || !std::all_of(text.begin(), text.end(), is_hex)) return make_error_code(error::bad_master_secret);
    auto raw = crypto::hex_decode(text);
    if (!raw) return make_error_code(error::bad_master_secret);
    secure_bytes secret(raw->begin(), raw->end());
    secure_wipe(raw->data(), raw->size());
    return secret;
}

psk tenant_psk(const_bytes master_secret, std::string_view did) {
    const auto digest = crypto::sha256({master_secret, as_bytes(did)});
    return psk(digest.begin(), digest.end());
}

std::string fingerprint(const_bytes key) {
    constexpr std::string_view nonce = "finprint";
    std::array<byte, 64> stream{};
    auto salsa = crypto::salsa20::create(key, as_bytes(nonce));
    if (!salsa) return "invalid";
    salsa->apply(stream);
    std::array<byte, 16> out{};
    crypto::shake128(stream, out);
    return crypto::hex_encode(out);
}

bool is_valid_did(std::string_view did) noexcept {
    if (!did.starts_with("did:")) return false;
    did.remove_prefix(4);
    const auto colon = did.find(':');
    if (colon == 0 || colon == std::string_view::npos) return false;
    for (char c : did.substr(0, colon))
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
    const auto id = did.substr(colon + 1);
    if (id.empty() || id.back() == ':') return false;
    for (std::size_t i = 0; i < id.size(); ++i) {
        const char c = id[i];
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == ':') continue;
        if (c == '%' && i + 2 < id.size() && is_hex(id[i + 1]) && is_hex(id[i + 2])) {
            i += 2;
            continue;
        }
        return false;
    }
    return true;
}

}  // namespace sealed::pnet
