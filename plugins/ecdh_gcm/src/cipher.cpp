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
    if (sealed_ >= limit_) return errc::nonce_exhausted;
    ++sealed_;
    auto iv = crypto::random_array<iv_size>();
    scratch_.resize(plaintext.size() + crypto::aead::tag_size);
    if (auto ec = key_->aead().seal(iv, {}, plaintext, scratch_)) return ec;
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

void cipher::release_idle_memory() {
    if (key_) key_->aead().release_context();
    scratch_ = bytes();
}

error_code cipher::open(const_bytes wire, message_buffer& out) {
    auto frame = wire::parse_frame(as_string_view(wire));
    if (!frame) return frame.error();
    // Heartbeats may travel in clear, and so may the server's error events; so does everything
    // without a key.
    if (!key_ || frame->event == "heartbeat" || (role_ == role::client && frame->event == "error")) {
        out.append(wire);
        return {};
    }
    if (role_ == role::server && frame->event == "authenticate") return error::already_authenticated;
    if (frame->event != "encrypted") {
        if (role_ == role::server && compat_.clear_events_after_key) {
            out.append(wire);
            return {};
        }
        return error::encryption_required;
    }
    const auto* data = frame->data.if_object();
    const auto* iv_text = data ? data->if_contains("iv") : nullptr;
    const auto* ct_text = data ? data->if_contains("ct") : nullptr;
    if (!iv_text || !iv_text->is_string() || !ct_text || !ct_text->is_string()) return error::decrypt_failed;
    auto iv = crypto::base64_decode(std::string_view(iv_text->get_string()));
    auto ct = crypto::base64_decode(std::string_view(ct_text->get_string()));
    if (!iv || iv->size() != iv_size || !ct || ct->size() < crypto::aead::tag_size) return error::decrypt_failed;
    auto plain = out.resize(ct->size() - crypto::aead::tag_size);
    if (key_->aead().open(*iv, {}, *ct, plain)) {
        out.wipe();
        return error::decrypt_failed;
    }
    return {};
}

open_failure cipher::on_open_failure(const error_code& ec) const {
    if (ec.category() != error_category()) return {std::nullopt, close_reason{default_close_code(ec), ec.message()}};
    const auto e = static_cast<error>(ec.value());
    open_failure failure;
    // Only the server answers with error events; a client just closes on a bad server frame.
    if (role_ == role::server) {
        const auto text = wire::make_error(e, ec.message());
        failure.reply = outgoing_message{bytes(text.begin(), text.end()), message_kind::text};
    }
    if (const auto code = close_code_for(e))
        failure.close = close_reason{code, ec.message()};
    else if (role_ == role::client)
        failure.close = close_reason{close_code::protocol_error, ec.message()};
    return failure;
}

}  // namespace sealed::ecdh_gcm
