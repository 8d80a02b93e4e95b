#include <sealed/hmac_x25519/scheme.hpp>

namespace sealed::hmac_x25519 {

error_code cipher::seal(const_bytes plaintext, message_buffer& out) {
    out.set_kind(message_kind::binary);  // SMSG frames are binary, whatever the app asked for
    return codec_.seal(as_string_view(plaintext), out);
}

error_code cipher::open(const_bytes wire, message_buffer& out) {
    if (auto ec = codec_.open(wire, body_)) return ec;
    out.append(as_bytes(body_));
    out.set_kind(message_kind::text);
    secure_wipe(body_.data(), body_.size());
    return {};
}

open_failure cipher::on_open_failure(const error_code& ec) const {
    const std::uint16_t code = ec == error::decrypt_failed ? close_code::policy_violation : close_code::protocol_error;
    return {std::nullopt, close_reason{code, ec.message()}};
}

}  // namespace sealed::hmac_x25519
