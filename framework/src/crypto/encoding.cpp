// Strict base64, base64url and hex: every byte string has exactly one accepted encoding, so
// encoded keys and tags can be compared as strings and cannot be smuggled in two spellings.
#include <sealed/crypto/encoding.hpp>

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

void encode_groups(const_bytes data, const char* alphabet, bool pad, std::string& out) {
    std::size_t i = 0;
    for (; i + 3 <= data.size(); i += 3) {
        const unsigned v = unsigned{data[i]} << 16 | unsigned{data[i + 1]} << 8 | data[i + 2];
        out.push_back(alphabet[v >> 18 & 63]);
        out.push_back(alphabet[v >> 12 & 63]);
        out.push_back(alphabet[v >> 6 & 63]);
        out.push_back(alphabet[v & 63]);
    }
    const std::size_t rest = data.size() - i;
    if (rest == 0) return;
    const unsigned v = unsigned{data[i]} << 16 | (rest == 2 ? unsigned{data[i + 1]} << 8 : 0u);
    out.push_back(alphabet[v >> 18 & 63]);
    out.push_back(alphabet[v >> 12 & 63]);
    if (rest == 2) out.push_back(alphabet[v >> 6 & 63]);
    if (pad) out.append(rest == 2 ? 1 : 2, '=');
}

// Decodes `text` (no padding; its length mod 4 is not 1) into out, which has room. Refuses
// characters outside the table and a final character whose unused low bits are not zero.
bool decode_groups(std::string_view text, const decode_table& table, byte* out) {
    unsigned acc = 0;
    int bits = 0;
    for (const char c : text) {
        const byte v = table[static_cast<unsigned char>(c)];
        if (v == invalid) return false;
        acc = (acc << 6 | v) & 0xffffu;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            *out++ = static_cast<byte>(acc >> bits);
        }
    }
    // Leftover bits (2 or 4) must be zero: "QR==" and "QQ==" may not both mean "A".
    return (acc & ((1u << bits) - 1)) == 0;
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
