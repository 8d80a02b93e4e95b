// Strict base64, base64url and hex: every byte string has exactly one accepted encoding, so
// encoded keys and tags can be compared as strings and cannot be smuggled in two spellings.
#include <sealed/crypto/encoding.hpp>

#include <algorithm>
#include <array>

namespace sealed::crypto {

namespace {

constexpr char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char hex_digits[] = "0123456789abcdef";
constexpr byte invalid = 0xff;

using decode_table = std::array<byte, 256>;

constexpr decode_table make_table(const char* alphabet) {
    decode_table t{};
    for (auto& v : t) v = invalid;
    for (byte i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = i;
    return t;
}

constexpr decode_table b64_table = make_table(b64_alphabet);
constexpr decode_table b64url_table = make_table(b64url_alphabet);

// Writes into the string's storage directly: this is the hot path of every ECDH-GCM message.
void encode_groups(const_bytes data, const char* alphabet, bool pad, std::string& out) {
    const std::size_t whole = data.size() / 3, rest = data.size() % 3;
    const std::size_t length = whole * 4 + (rest == 0 ? 0 : pad ? 4 : rest + 1);
    const std::size_t start = out.size();
    out.resize(start + length);
    char* p = out.data() + start;
    const byte* in = data.data();
    for (std::size_t g = 0; g < whole; ++g, in += 3, p += 4) {
        const unsigned v = unsigned{in[0]} << 16 | unsigned{in[1]} << 8 | in[2];
        p[0] = alphabet[v >> 18 & 63];
        p[1] = alphabet[v >> 12 & 63];
        p[2] = alphabet[v >> 6 & 63];
        p[3] = alphabet[v & 63];
    }
    if (rest == 0) return;
    const unsigned v = unsigned{in[0]} << 16 | (rest == 2 ? unsigned{in[1]} << 8 : 0u);
    *p++ = alphabet[v >> 18 & 63];
    *p++ = alphabet[v >> 12 & 63];
    if (rest == 2) *p++ = alphabet[v >> 6 & 63];
    if (pad) std::fill(p, out.data() + out.size(), '=');
}

// Decodes `text` (no padding; its length mod 4 is not 1) into out, which has room. Refuses
// characters outside the table and a final character whose unused low bits are not zero.
// Four characters at a time; `invalid` has its top bit set, so one OR checks all four.
bool decode_groups(std::string_view text, const decode_table& table, byte* out) {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t whole = text.size() / 4, rest = text.size() % 4;
    for (std::size_t g = 0; g < whole; ++g, s += 4, out += 3) {
        const unsigned a = table[s[0]], b = table[s[1]], c = table[s[2]], d = table[s[3]];
        if ((a | b | c | d) & 0x80u) return false;
        const unsigned v = a << 18 | b << 12 | c << 6 | d;
        out[0] = static_cast<byte>(v >> 16);
        out[1] = static_cast<byte>(v >> 8);
        out[2] = static_cast<byte>(v);
    }
    if (rest == 0) return true;
    const unsigned a = table[s[0]], b = table[s[1]], c = rest == 3 ? table[s[2]] : 0u;
    if ((a | b | c) & 0x80u) return false;
    const unsigned v = a << 18 | b << 12 | c << 6;
    out[0] = static_cast<byte>(v >> 16);
    if (rest == 3) out[1] = static_cast<byte>(v >> 8);
    // Leftover bits must be zero: "QR==" and "QQ==" may not both mean "A".
    return rest == 2 ? (b & 0x0fu) == 0 : (c & 0x03u) == 0;
}

constexpr std::size_t decoded_size(std::size_t unpadded) noexcept {
    return unpadded / 4 * 3 + (unpadded % 4 == 0 ? 0 : unpadded % 4 - 1);
}

// Splits off up to two '=' of padding; false when the length is not a whole number of quanta.
bool strip_padding(std::string_view text, std::string_view& body) noexcept {
    if (text.size() % 4 != 0) return false;
    std::size_t pad = 0;
    while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
    body = text.substr(0, text.size() - pad);
    // A third '=' (or one elsewhere) is left in body and refused by the table.
    return true;
}

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::string base64_encode(const_bytes data) {
    std::string out;
    base64_encode(data, out);
    return out;
}

void base64_encode(const_bytes data, std::string& out) {
    out.reserve(out.size() + base64_encoded_size(data.size()));
    encode_groups(data, b64_alphabet, true, out);
}

result<std::size_t> base64_decode(std::string_view text, mutable_bytes out) {
    std::string_view body;
    if (!strip_padding(text, body)) return errc::invalid_encoding;
    if (body.size() % 4 == 1) return errc::invalid_encoding;  // e.g. "A===" carries < 1 byte
    const std::size_t n = decoded_size(body.size());
    if (out.size() < n) return errc::invalid_argument;
    if (!decode_groups(body, b64_table, out.data())) {
        secure_wipe(out.data(), n);
        return errc::invalid_encoding;
    }
    return n;
}

result<bytes> base64_decode(std::string_view text) {
    bytes out(base64_decoded_max(text.size()));
    auto n = base64_decode(text, out);
    if (!n) return n.error();
    out.resize(*n);
    return out;
}

std::string base64url_encode(const_bytes data) {
    std::string out;
    out.reserve(base64_encoded_size(data.size()));
    encode_groups(data, b64url_alphabet, false, out);
    return out;
}

result<bytes> base64url_decode(std::string_view text) {
    if (text.size() % 4 == 1) return errc::invalid_encoding;
    bytes out(decoded_size(text.size()));
    if (!decode_groups(text, b64url_table, out.data())) return errc::invalid_encoding;
    return out;
}

std::string hex_encode(const_bytes data) {
    std::string out;
    out.reserve(data.size() * 2);
    for (const byte b : data) {
        out.push_back(hex_digits[b >> 4]);
        out.push_back(hex_digits[b & 15]);
    }
    return out;
}

result<bytes> hex_decode(std::string_view text) {
    if (text.size() % 2 != 0) return errc::invalid_encoding;
    bytes out(text.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i) {
        const int hi = hex_value(text[2 * i]);
        const int lo = hex_value(text[2 * i + 1]);
        if (hi < 0 || lo < 0) return errc::invalid_encoding;
        out[i] = static_cast<byte>(hi << 4 | lo);
    }
    return out;
}

}  // namespace sealed::crypto
