#include <sealed/libp2p/error.hpp>
#include <sealed/libp2p/peer_id.hpp>

#include <protozero/pbf_reader.hpp>
#include <protozero/pbf_writer.hpp>
#include <protozero/varint.hpp>

#include <algorithm>
#include <array>

namespace sealed::libp2p {
namespace {

constexpr std::string_view alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
constexpr int ed25519_type = 1;
constexpr std::uint64_t identity_code = 0x00;
constexpr std::uint64_t sha2_256_code = 0x12;

// {Type, Data} of a PublicKey or PrivateKey protobuf; malformed_protobuf when a field is missing.
struct typed_key {
    int type = -1;
    const_bytes data;
};

result<typed_key> parse_typed_key(const_bytes protobuf) {
    typed_key key;
    bool has_data = false;
    try {
        protozero::pbf_reader message(reinterpret_cast<const char*>(protobuf.data()), protobuf.size());
        while (message.next()) {
            if (message.tag() == 1 && message.wire_type() == protozero::pbf_wire_type::varint) {
                key.type = message.get_enum();
            } else if (message.tag() == 2 && message.wire_type() == protozero::pbf_wire_type::length_delimited) {
                const auto view = message.get_view();
                key.data = const_bytes(reinterpret_cast<const byte*>(view.data()), view.size());
                has_data = true;
            } else {
                message.skip();
            }
        }
    } catch (const protozero::exception&) {
        return error::malformed_protobuf;
    }
    if (key.type < 0 || !has_data) return error::malformed_protobuf;
    if (key.type != ed25519_type) return error::unsupported_key_type;
    return key;
}

template <class Buffer>
Buffer typed_key_protobuf(const_bytes data) {
    std::string out;
    protozero::pbf_writer writer(out);
    writer.add_enum(1, ed25519_type);
    writer.add_bytes(2, reinterpret_cast<const char*>(data.data()), data.size());
    Buffer result(out.begin(), out.end());
    std::fill(out.begin(), out.end(), '\0');
    return result;
}

}  // namespace

std::string base58btc_encode(const_bytes data) {
    const auto zeros = static_cast<std::size_t>(std::find_if(data.begin(), data.end(), [](byte b) { return b != 0; }) - data.begin());
    std::vector<int> digits;  // base 58, least significant first
    for (std::size_t i = zeros; i < data.size(); ++i) {
        int carry = data[i];
        for (auto& d : digits) {
            carry += d * 256;
            d = carry % 58;
            carry /= 58;
        }
        for (; carry > 0; carry /= 58) digits.push_back(carry % 58);
    }
    std::string text(zeros, '1');
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) text.push_back(alphabet[static_cast<std::size_t>(*it)]);
    return text;
}

result<bytes> base58btc_decode(std::string_view text) {
    const auto ones = static_cast<std::size_t>(std::find_if(text.begin(), text.end(), [](char c) { return c != '1'; }) - text.begin());
    std::vector<int> digits;  // base 256, least significant first
    for (std::size_t i = ones; i < text.size(); ++i) {
        const auto value = alphabet.find(text[i]);
        if (value == std::string_view::npos) return errc::invalid_encoding;
        int carry = static_cast<int>(value);
        for (auto& d : digits) {
            carry += d * 58;
            d = carry & 0xff;
            carry >>= 8;
        }
        for (; carry > 0; carry >>= 8) digits.push_back(carry & 0xff);
    }
    bytes out(ones, 0);
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) out.push_back(static_cast<byte>(*it));
    return out;
}

bytes public_key_protobuf(const crypto::ed25519_public_key& key) { return typed_key_protobuf<bytes>(key.bytes()); }

result<crypto::ed25519_public_key> parse_public_key_protobuf(const_bytes protobuf) {
    auto key = parse_typed_key(protobuf);
    if (!key) return key.error();
    auto parsed = crypto::ed25519_public_key::from_bytes(key->data);
    if (!parsed) return error::malformed_protobuf;
    return *parsed;
}

secure_bytes private_key_protobuf(const crypto::ed25519_private_key& key) {
    secure_bytes data(key.seed().begin(), key.seed().end());
    const auto pub = key.public_key().bytes();
    data.insert(data.end(), pub.begin(), pub.end());
    return typed_key_protobuf<secure_bytes>(data);
}

result<crypto::ed25519_private_key> parse_private_key_protobuf(const_bytes protobuf) {
    auto key = parse_typed_key(protobuf);
    if (!key) return key.error();
    // 64 bytes (seed ‖ public, what go and js write) or the bare 32-byte seed.
    if (key->data.size() != 64 && key->data.size() != 32) return error::bad_key_file;
    auto parsed = crypto::ed25519_private_key::from_seed(key->data.first(32));
    if (!parsed) return error::bad_key_file;
    if (key->data.size() == 64 && !std::equal(key->data.begin() + 32, key->data.end(), parsed->public_key().bytes().begin()))
        return error::bad_key_file;  // the public half belongs to another key
    return std::move(*parsed);
}

peer_id peer_id::from_public_key(const crypto::ed25519_public_key& key) {
    const auto protobuf = public_key_protobuf(key);
    bytes multihash{static_cast<byte>(identity_code), static_cast<byte>(protobuf.size())};
    multihash.insert(multihash.end(), protobuf.begin(), protobuf.end());
    return peer_id(std::move(multihash));
}

result<peer_id> peer_id::from_bytes(const_bytes multihash) {
    try {
        const char* at = reinterpret_cast<const char*>(multihash.data());
        const char* end = at + multihash.size();
        const auto code = protozero::decode_varint(&at, end);
        const auto length = protozero::decode_varint(&at, end);
        if (length != static_cast<std::uint64_t>(end - at)) return error::bad_peer_id;
        if (!(code == identity_code && length <= 42) && !(code == sha2_256_code && length == 32)) return error::bad_peer_id;
    } catch (const protozero::exception&) {
        return error::bad_peer_id;
    }
    return peer_id(bytes(multihash.begin(), multihash.end()));
}

result<peer_id> peer_id::parse(std::string_view base58btc) {
    auto raw = base58btc_decode(base58btc);
    if (!raw) return error::bad_peer_id;
    return from_bytes(*raw);
}

std::optional<crypto::ed25519_public_key> peer_id::ed25519_key() const {
    if (multihash_.size() < 2 || multihash_[0] != identity_code) return std::nullopt;
    auto key = parse_public_key_protobuf(const_bytes(multihash_).subspan(2));
    if (!key) return std::nullopt;
    return *key;
}

}  // namespace sealed::libp2p
