#include <sealed/error.hpp>

#include <boost/asio/error.hpp>
#include <boost/beast/websocket/error.hpp>
#include <gtest/gtest.h>

namespace {

using namespace sealed;

TEST(error, codes_have_messages_and_category) {
    error_code ec = errc::decrypt_failed;
    EXPECT_STREQ(ec.category().name(), "sealed");
    EXPECT_EQ(ec.message(), "decryption failed");
    for (int e = 1; e <= static_cast<int>(errc::replay_store_full); ++e)
        EXPECT_NE(error_code(e, error_category()).message(), "unknown sealed error") << e;
}

TEST(error, codes_map_to_shared_conditions) {
    EXPECT_EQ(error_code(errc::decrypt_failed), condition::authentication_failed);
    EXPECT_EQ(error_code(errc::invalid_public_key), condition::authentication_failed);
    EXPECT_EQ(error_code(errc::handshake_timeout), condition::timeout);
    EXPECT_EQ(error_code(errc::protocol_violation), condition::protocol_violation);
    EXPECT_EQ(error_code(errc::send_queue_full), condition::resource_exhausted);
    EXPECT_NE(error_code(errc::decrypt_failed), condition::transport_closed);
    // error_table.hpp's rule: a limit is resource_exhausted, a policy refusal handshake_failed.
    EXPECT_EQ(error_code(errc::message_too_big), condition::resource_exhausted);
    EXPECT_EQ(error_code(errc::peer_not_allowed), condition::handshake_failed);
    EXPECT_NE(error_code(errc::redis_error), condition::resource_exhausted);
}

TEST(error, asio_and_beast_disconnects_are_transport_closed) {
    EXPECT_EQ(error_code(boost::asio::error::eof), condition::transport_closed);
    EXPECT_EQ(error_code(boost::asio::error::connection_reset), condition::transport_closed);
    EXPECT_EQ(error_code(boost::beast::websocket::error::closed), condition::transport_closed);
    EXPECT_NE(error_code(boost::asio::error::invalid_argument), condition::transport_closed);
}

TEST(error, failures_map_to_close_codes) {
    EXPECT_EQ(default_close_code({}), close_code::normal);
    EXPECT_EQ(default_close_code(errc::message_too_big), close_code::too_big);
    EXPECT_EQ(default_close_code(errc::shutting_down), close_code::shutdown);
    EXPECT_EQ(default_close_code(errc::protocol_violation), close_code::protocol_error);
    EXPECT_EQ(default_close_code(errc::decrypt_failed), close_code::policy_violation);
    EXPECT_EQ(default_close_code(errc::handshake_timeout), close_code::policy_violation);
    EXPECT_EQ(default_close_code(boost::asio::error::no_memory), close_code::internal_error);
}

}  // namespace
