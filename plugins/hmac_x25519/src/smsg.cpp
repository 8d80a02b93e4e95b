#include <sealed/hmac_x25519/smsg.hpp>
#include <sealed/hmac_x25519/wire.hpp>

#include <sealed/crypto/encoding.hpp>
#include <sealed/crypto/hash.hpp>
#include <sealed/crypto/random.hpp>

#include <boost/json/parse.hpp>

#include <algorithm>
#include <array>
#include <chrono>

namespace sealed::hmac_x25519::smsg {
namespace json = boost::json;

secure_bytes derive_key(const_bytes shared) {
    auto password = crypto::base64_encode(shared);
    const auto digest = crypto::sha256(as_bytes(password));
    secure_wipe(password.data(), password.size());
    return secure_bytes(digest.begin(), digest.end());
}

void apply_xor_stream(const_bytes nonce, mutable_bytes data) { crypto::sha256_counter_xor(nonce, data); }

void make_inner(std::string_view body, std::int64_t timestamp, std::string& out) {
    out.clear();
    out.reserve(body.size() + body.size() / 8 + 40);
    out += "{\"body\":";
    wire::write_json_string(body, out, true);
    out += ",\"timestamp\":";
    out += std::to_string(timestamp);
    out += '}';
}

error_code parse_inner(std::string_view inner, std::string& body) {
    boost::system::error_code ec;
    auto v = json::parse(inner, ec);
    if (ec || !v.is_object()) return error::invalid_payload;
    auto* b = v.get_object().if_contains("body");
    if (!b || !b->is_string() || b->get_string().empty()) return error::invalid_payload;
    body.assign(b->get_string().data(), b->get_string().size());
    return {};
}

result<container> parse_container(const_bytes frame) {
    if (frame.size() < prefix_size || as_string_view(frame.first(4)) != magic || frame[4] != container_version)
        return make_error_code(error::invalid_container);
    const std::size_t header_size = (std::size_t(frame[5]) << 24) | (std::size_t(frame[6]) << 16) |
                                    (std::size_t(frame[7]) << 8) | std::size_t(frame[8]);
    if (header_size > max_header_size || header_size > frame.size() - prefix_size)
        return make_error_code(error::invalid_container);
    const auto header_text = as_string_view(frame.subspan(prefix_size, header_size));
    if (header_text != header) {  // the one header Go writes; anything else is parsed
        boost::system::error_code ec;
        auto v = json::parse(header_text, ec);
        if (ec || !v.is_object()) return make_error_code(error::invalid_container);
        if (auto* a = v.get_object().if_contains("algorithm"); a && (!a->is_string() || a->get_string() != "chacha20poly1305"))
            return make_error_code(error::invalid_container);
    }
    const auto payload = frame.subspan(prefix_size + header_size);
    if (payload.size() < nonce_size + crypto::aead::tag_size) return make_error_code(error::invalid_container);
    return container{header_text, payload.first(nonce_size), payload.subspan(nonce_size)};
}

result<codec> codec::create(const_bytes shared) {
    const auto key = derive_key(shared);
    auto aead = crypto::aead::create(crypto::aead_algorithm::xchacha20_poly1305, key);
    if (!aead) return aead.error();
    return codec(std::move(*aead));
}

error_code codec::seal(std::string_view body, message_buffer& out) {
    const auto nonce = crypto::random_array<nonce_size>();
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    return seal(body, nonce, now, out);
}

error_code codec::seal(std::string_view body, const_bytes nonce, std::int64_t timestamp, message_buffer& out) {
    if (nonce.size() != nonce_size) return errc::invalid_argument;
    make_inner(body, timestamp, inner_);
    const auto plain = mutable_bytes(reinterpret_cast<byte*>(inner_.data()), inner_.size());
    apply_xor_stream(nonce, plain);
    const std::array<byte, prefix_size> prefix{'S', 'M', 'S', 'G', container_version, 0, 0, 0,
                                               static_cast<byte>(header.size())};
    static_assert(header.size() < 256);
    out.append(prefix);
    out.append(as_bytes(header));
    out.append(nonce);
    auto sealed = out.prepare(plain.size() + crypto::aead::tag_size);
    // Sealed in place in the output buffer: no ciphertext copy.
    std::copy(plain.begin(), plain.end(), sealed.begin());
    auto ec = key_.seal(nonce, {}, sealed.first(plain.size()), sealed);
    secure_wipe(inner_.data(), inner_.size());
    if (ec) return ec;
    out.commit(sealed.size());
    return {};
}

void codec::release_idle_memory() {
    key_.release_context();
    inner_ = std::string();
    opened_ = secure_bytes();  // the zeroing allocator wipes the old plaintext
}

error_code codec::open(const_bytes frame, std::string& body) {
    body.clear();
    auto parts = parse_container(frame);
    if (!parts) return parts.error();
    opened_.resize(parts->sealed.size() - crypto::aead::tag_size);
    if (key_.open(parts->nonce, {}, parts->sealed, opened_)) return error::decrypt_failed;
    apply_xor_stream(parts->nonce, opened_);
    auto ec = parse_inner(as_string_view(opened_), body);
    secure_wipe(opened_.data(), opened_.size());
    return ec;
}

}  // namespace sealed::hmac_x25519::smsg
