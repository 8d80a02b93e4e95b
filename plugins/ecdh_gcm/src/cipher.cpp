#include <sealed/ecdh_gcm/scheme.hpp>

#include <sealed/crypto/encoding.hpp>
#include <sealed/crypto/random.hpp>

namespace sealed::ecdh_gcm {
namespace json = boost::json;

error_code cipher::seal(const_bytes plaintext, message_buffer& out) {
    out.set_kind(message_kind::text);
    if (!key_) {
        out.append(plaintext);
        return {};
    }
    if (sealed_ >= max_messages) return errc::nonce_exhausted;
    ++sealed_;
    auto iv = crypto::random_array<iv_size>();
    scratch_.resize(plaintext.size() + crypto::aead::tag_size);
    if (auto ec = key_->seal(iv, {}, plaintext, scratch_)) return ec;
    // Written by hand: base64 needs no JSON escaping, and this is the hot path.
    std::string frame;
    frame.reserve(crypto::base64_encoded_size(scratch_.size()) + 64);
    frame += R"({"event":"encrypted","data":{"iv":")";
    crypto::base64_encode(iv, frame);
    frame += R"(","ct":")";
    crypto::base64_encode(scratch_, frame);
    frame += R"("}})";
    out.append(as_bytes(frame));
    return {};
}

error_code cipher::open(const_bytes wire, message_buffer& out) {
    auto frame = wire::parse_frame(as_string_view(wire));
    if (!frame) return frame.error();
    // Heartbeats may travel in clear; so does everything without a key.
    if (!key_ || frame->event == "heartbeat") {
        out.append(wire);
        return {};
    }
    if (frame->event != "encrypted") return error::encryption_required;
    const auto* data = frame->data.if_object();
    const auto* iv_text = data ? data->if_contains("iv") : nullptr;
    const auto* ct_text = data ? data->if_contains("ct") : nullptr;
    if (!iv_text || !iv_text->is_string() || !ct_text || !ct_text->is_string()) return error::decrypt_failed;
    auto iv = crypto::base64_decode(std::string_view(iv_text->get_string()));
    auto ct = crypto::base64_decode(std::string_view(ct_text->get_string()));
    if (!iv || iv->size() != iv_size || !ct || ct->size() < crypto::aead::tag_size) return error::decrypt_failed;
    auto plain = out.resize(ct->size() - crypto::aead::tag_size);
    if (key_->open(*iv, {}, *ct, plain)) {
        out.wipe();
        return error::decrypt_failed;
    }
    return {};
}

close_reason cipher::close_reason_for(const error_code& ec) const {
    if (ec.category() == error_category()) {
        const auto e = static_cast<error>(ec.value());
        const auto code = close_code_for(e);
        return {code ? code : close_code::policy_violation, ec.message()};
    }
    return {default_close_code(ec), ec.message()};
}

}  // namespace sealed::ecdh_gcm
