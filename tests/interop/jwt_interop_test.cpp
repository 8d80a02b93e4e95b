// The broker's JWT policy (issue 30) accepts grants that Node's crypto minted (ES256 in JOSE's
// r ‖ s form, HS256), not only the ones our own tests make, and refuses Node's expired one.
#include <sealed/signaling/jwt.hpp>

#include <sealed_test/paths.hpp>
#include <sealed_test/process.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace {

using sealed::signaling::jwt_verifier;

TEST(interop_jwt, grants_minted_by_node_crypto_verify) {
    const std::string secret = "a shared secret of at least 32 bytes, for HS256";
    const auto run = sealed_test::run_to_end(
        {sealed_test::node(), sealed_test::source_dir() + "/tests/interop/jwt_mint.mjs", "alice", secret}, 20000);
    ASSERT_EQ(run.exit_code, 0) << run.output();
    ASSERT_FALSE(run.lines.empty());
    const auto minted = boost::json::parse(run.lines.back()).as_object();
    jwt_verifier::options o;
    o.hs256_secrets.emplace_back(secret.begin(), secret.end());
    o.es256_public_keys_pem = std::string(minted.at("pem").as_string());
    std::string why;
    auto v = jwt_verifier::make(o, &why);
    ASSERT_TRUE(v) << why;
    const std::string es256(minted.at("es256").as_string()), hs256(minted.at("hs256").as_string()),
        expired(minted.at("expired").as_string());
    EXPECT_EQ((*v)->check(es256, "alice").value_or("granted"), "granted");
    EXPECT_EQ((*v)->check(hs256, "alice").value_or("granted"), "granted");
    EXPECT_EQ((*v)->check(es256, "bob").value_or("granted"), "sub is not this id");
    EXPECT_EQ((*v)->check(expired, "alice").value_or("granted"), "expired");
}

}  // namespace
