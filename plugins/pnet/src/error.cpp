#include <sealed/pnet/error.hpp>

namespace sealed::pnet {
namespace {

class category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "sealed.pnet"; }
    std::string message(int ev) const override {
        switch (static_cast<error>(ev)) {
        case error::bad_psk_header: return "PSK file does not start with /key/swarm/psk/1.0.0/";
        case error::unknown_psk_encoding: return "PSK file names an unknown encoding (want /base16/, /base64/ or /bin/)";
        case error::bad_psk_characters: return "PSK file holds characters its encoding does not allow";
        case error::bad_psk_length: return "PSK is not 32 bytes";
        case error::bad_master_secret: return "master secret is not hex of at least 32 bytes";
        case error::invalid_did: return "not a DID";
        }
        return "unknown pnet error";
    }
    boost::system::error_condition default_error_condition(int ev) const noexcept override {
        if (static_cast<error>(ev) == error::invalid_did) return condition::protocol_violation;
        return {ev, *this};
    }
};

}  // namespace

const boost::system::error_category& error_category() noexcept {
    static const category instance;
    return instance;
}

}  // namespace sealed::pnet
