#include <sealed/envelope/error.hpp>

namespace sealed::envelope {
namespace {

class category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "sealed.envelope"; }
    std::string message(int ev) const override {
        switch (static_cast<error>(ev)) {
        case error::body_too_large: return "request body over the size limit";
        case error::malformed_envelope: return "not an envelope: a field is missing, of the wrong type or size";
        case error::unsupported_version: return "unsupported envelope version";
        case error::unknown_kid: return "no server key has this kid (fetch /.well-known/sealed-keys again)";
        case error::stale_timestamp: return "timestamp outside the accepted window";
        case error::invalid_public_key: return "epk is not a valid P-256 point";
        case error::decrypt_failed: return "the envelope does not decrypt (tampered or wrong key)";
        case error::replayed_nonce: return "this nonce was already used";
        case error::replay_store_unavailable: return "the replay store is unavailable; try again later";
        case error::not_found: return "no such route";
        case error::method_not_allowed: return "method not allowed on this route";
        case error::bad_key_file: return "key directory file is malformed";
        }
        return "unknown envelope error";
    }
    boost::system::error_condition default_error_condition(int ev) const noexcept override {
        switch (static_cast<error>(ev)) {
        case error::stale_timestamp:
        case error::decrypt_failed:
        case error::replayed_nonce:
        case error::unknown_kid: return condition::authentication_failed;
        case error::malformed_envelope:
        case error::unsupported_version:
        case error::invalid_public_key:
        case error::not_found:
        case error::method_not_allowed: return condition::protocol_violation;
        case error::body_too_large:
        case error::replay_store_unavailable: return condition::resource_exhausted;
        case error::bad_key_file: break;
        }
        return {ev, *this};
    }
};

}  // namespace

const boost::system::error_category& error_category() noexcept {
    static const category instance;
    return instance;
}

std::string_view code_of(error e) noexcept {
    switch (e) {
    case error::body_too_large: return "body_too_large";
    case error::malformed_envelope: return "malformed_envelope";
    case error::unsupported_version: return "unsupported_version";
    case error::unknown_kid: return "unknown_kid";
    case error::stale_timestamp: return "stale_timestamp";
    case error::invalid_public_key: return "invalid_public_key";
    case error::decrypt_failed: return "decrypt_failed";
    case error::replayed_nonce: return "replayed_nonce";
    case error::replay_store_unavailable: return "replay_store_unavailable";
    case error::not_found: return "not_found";
    case error::method_not_allowed: return "method_not_allowed";
    case error::bad_key_file: return "bad_key_file";
    }
    return "internal_error";
}

unsigned http_status_of(error e) noexcept {
    switch (e) {
    case error::body_too_large: return 413;
    case error::stale_timestamp:
    case error::decrypt_failed: return 401;
    case error::replayed_nonce: return 409;
    case error::replay_store_unavailable: return 503;
    case error::not_found: return 404;
    case error::method_not_allowed: return 405;
    case error::bad_key_file: return 500;
    default: return 400;
    }
}

std::optional<error> error_from_code(std::string_view code) noexcept {
    for (int e = static_cast<int>(error::body_too_large); e <= static_cast<int>(error::bad_key_file); ++e)
        if (code_of(static_cast<error>(e)) == code) return static_cast<error>(e);
    return std::nullopt;
}

error refusal_of(const error_code& ec) noexcept {
    if (ec.category() == error_category()) return static_cast<error>(ec.value());
    if (ec == errc::invalid_public_key) return error::invalid_public_key;
    if (ec == errc::decrypt_failed) return error::decrypt_failed;
    return error::malformed_envelope;
}

}  // namespace sealed::envelope
