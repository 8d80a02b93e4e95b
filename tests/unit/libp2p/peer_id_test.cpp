// Keys and peer ids against js-libp2p 3's bytes (../shared/vectors/libp2p/js-libp2p-3.json,
// made with @libp2p/crypto and @libp2p/peer-id), and the identity key file.
#include <sealed/crypto/encoding.hpp>
#include <sealed/libp2p/error.hpp>
#include <sealed/libp2p/identity.hpp>

#include <sealed_test/js_libp2p.hpp>
#include <sealed_test/temp_dir.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace {

using namespace sealed;

bytes to_bytes(const_bytes b) { return bytes(b.begin(), b.end()); }

TEST(libp2p_peer_id, matches_js_libp2p_for_the_shared_seed) {
    auto key = crypto::ed25519_private_key::from_seed(sealed_test::js_libp2p_hex("peer_id", "ed25519_seed_hex")).value();
    EXPECT_EQ(to_bytes(key.public_key().bytes()), sealed_test::js_libp2p_hex("peer_id", "ed25519_public_hex"));
    EXPECT_EQ(libp2p::public_key_protobuf(key.public_key()), sealed_test::js_libp2p_hex("peer_id", "public_key_protobuf_hex"));
    const auto id = libp2p::peer_id::from_public_key(key.public_key());
    EXPECT_EQ(id.to_bytes(), sealed_test::js_libp2p_hex("peer_id", "peer_id_bytes_hex"));
    EXPECT_EQ(id.to_string(), sealed_test::js_libp2p_text("peer_id", "peer_id_base58btc"));
    EXPECT_TRUE(id.to_string().starts_with("12D3KooW"));
    // And back: the text parses to the same id, which inlines the key.
    auto parsed = libp2p::peer_id::parse(sealed_test::js_libp2p_text("peer_id", "peer_id_base58btc"));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, id);
    ASSERT_TRUE(parsed->ed25519_key());
    EXPECT_EQ(*parsed->ed25519_key(), key.public_key());
}

TEST(libp2p_peer_id, base58_and_refusals) {
    const bytes with_zeros{0, 0, 1, 2, 255};
    EXPECT_EQ(libp2p::base58btc_encode(with_zeros).substr(0, 2), "11");
    EXPECT_EQ(libp2p::base58btc_decode(libp2p::base58btc_encode(with_zeros)).value(), with_zeros);
    EXPECT_EQ(libp2p::base58btc_encode({}), "");
    EXPECT_EQ(libp2p::base58btc_decode("0OIl").error(), errc::invalid_encoding);
    EXPECT_EQ(libp2p::peer_id::parse("12D3KooW0").error(), libp2p::error::bad_peer_id);
    EXPECT_EQ(libp2p::peer_id::parse("1111").error(), libp2p::error::bad_peer_id);
    // A sha2-256 multihash (an RSA host's id) is a peer id, but carries no key.
    bytes hashed{0x12, 0x20};
    hashed.resize(34, 0xab);
    auto rsa_host = libp2p::peer_id::from_bytes(hashed);
    ASSERT_TRUE(rsa_host);
    EXPECT_FALSE(rsa_host->ed25519_key());
    EXPECT_TRUE(rsa_host->to_string().starts_with("Qm"));
    // Keys of other types are named as such; broken protobufs as malformed.
    const bytes rsa_key{0x08, 0x00, 0x12, 0x02, 0x01, 0x02};
    EXPECT_EQ(libp2p::parse_public_key_protobuf(rsa_key).error(), libp2p::error::unsupported_key_type);
    const bytes truncated{0x08, 0x01, 0x12, 0x20, 0x01};
    EXPECT_EQ(libp2p::parse_public_key_protobuf(truncated).error(), libp2p::error::malformed_protobuf);
    EXPECT_TRUE(make_error_code(libp2p::error::bad_signature) == condition::authentication_failed);
}

TEST(libp2p_identity, the_key_file_is_a_libp2p_private_key_kept_across_starts) {
    sealed_test::temp_dir dir;
    std::filesystem::create_directories(dir.path);
    const auto path = (dir.path / "identity.key").string();
    auto first = libp2p::identity::load_or_create(path);
    ASSERT_TRUE(first);
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto again = libp2p::identity::load_or_create(path);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->id(), first->id());
    // The file is PrivateKey{Type=1, Data=seed ‖ public}: 4 + 64 bytes.
    EXPECT_EQ(std::filesystem::file_size(path), 68u);
    const auto protobuf = libp2p::private_key_protobuf(first->key());
    EXPECT_EQ(protobuf[0], 0x08);
    EXPECT_EQ(protobuf[1], 0x01);
    std::ofstream(dir.path / "bad.key") << "not a key";
    EXPECT_EQ(libp2p::identity::load((dir.path / "bad.key").string()).error(), libp2p::error::bad_key_file);
}

}  // namespace
