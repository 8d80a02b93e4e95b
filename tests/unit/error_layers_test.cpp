// One event, one shared condition, whichever layer reports it (error_table.hpp's rule): apps
// test conditions, so an invalid public key or an unsupported version must not mean one thing
// in the core and another in a plugin.
#include <sealed/ecdh_gcm/error.hpp>
#include <sealed/envelope/error.hpp>
#include <sealed/error.hpp>
#include <sealed/hmac_x25519/error.hpp>
#include <sealed/signaling/error.hpp>

#include <gtest/gtest.h>

namespace {

using namespace sealed;

TEST(error_layers, the_same_event_maps_to_the_same_condition_in_every_layer) {
    for (const error_code ec : {error_code(errc::invalid_public_key), make_error_code(ecdh_gcm::error::invalid_public_key),
                                make_error_code(envelope::error::invalid_public_key),
                                make_error_code(hmac_x25519::error::invalid_public_key)})
        EXPECT_EQ(ec, condition::authentication_failed) << ec.category().name();
    for (const error_code ec : {error_code(errc::decrypt_failed), make_error_code(ecdh_gcm::error::decrypt_failed),
                                make_error_code(envelope::error::decrypt_failed),
                                make_error_code(hmac_x25519::error::decrypt_failed)})
        EXPECT_EQ(ec, condition::authentication_failed) << ec.category().name();
    for (const error_code ec : {error_code(errc::unsupported_version), make_error_code(envelope::error::unsupported_version),
                                make_error_code(hmac_x25519::error::unsupported_version)})
        EXPECT_EQ(ec, condition::handshake_failed) << ec.category().name();
    for (const error_code ec : {error_code(errc::message_too_big), make_error_code(envelope::error::body_too_large)})
        EXPECT_EQ(ec, condition::resource_exhausted) << ec.category().name();
    for (const error_code ec : {error_code(errc::peer_not_allowed), make_error_code(hmac_x25519::error::peer_not_allowed)})
        EXPECT_EQ(ec, condition::handshake_failed) << ec.category().name();
    // Our own backend failing is not the peer's doing: no shared condition.
    for (const error_code ec : {error_code(errc::replay_store_unavailable),
                                make_error_code(envelope::error::replay_store_unavailable)})
        EXPECT_EQ(ec.default_error_condition().category(), ec.category()) << ec.category().name();
}

TEST(error_layers, tables_give_names_messages_and_wire_text) {
    EXPECT_EQ(ecdh_gcm::code_name(ecdh_gcm::error::encryption_required), "encryption_required");
    EXPECT_EQ(make_error_code(ecdh_gcm::error::encryption_required).message(), "Encryption required");
    EXPECT_EQ(envelope::code_of(envelope::error::replayed_nonce), "replayed_nonce");
    EXPECT_EQ(envelope::error_from_code("replayed_nonce"), envelope::error::replayed_nonce);
    EXPECT_EQ(signaling::wire_message(signaling::error::id_taken), "ID is taken");
    EXPECT_EQ(signaling::error_from_message("ID is taken"), signaling::error::id_taken);
    EXPECT_EQ(error_code(99, hmac_x25519::error_category()).message(), "unknown sealed.hmac_x25519 error");
}

}  // namespace
