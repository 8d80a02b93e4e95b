#include <sealed/pnet/error.hpp>

#include <sealed/error_table.hpp>

namespace sealed::pnet {
namespace {

using C = condition;
constexpr error_entry<error> errors[] = {
    {error::bad_psk_header, "bad_psk_header", "PSK file does not start with /key/swarm/psk/1.0.0/", std::nullopt},
    {error::unknown_psk_encoding, "unknown_psk_encoding", "PSK file names an unknown encoding (want /base16/, /base64/ or /bin/)", std::nullopt},
    {error::bad_psk_characters, "bad_psk_characters", "PSK file holds characters its encoding does not allow", std::nullopt},
    {error::bad_psk_length, "bad_psk_length", "PSK is not 32 bytes", std::nullopt},
    {error::bad_master_secret, "bad_master_secret", "master secret is not hex of at least 32 bytes", std::nullopt},
    {error::invalid_did, "invalid_did", "not a DID", C::protocol_violation},
};

const table_category<error>& category() noexcept {
    static const table_category<error> instance("sealed.pnet", errors);
    return instance;
}

}  // namespace

const boost::system::error_category& error_category() noexcept { return category(); }

}  // namespace sealed::pnet
