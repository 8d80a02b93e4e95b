// The on-disk key directory: PKCS#8 PEM files and keyring.json (see keyring.hpp).
#include <sealed/envelope/keyring.hpp>

#include "read_file.hpp"

#include <sealed/crypto/encoding.hpp>
#include <sealed/files.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <sys/stat.h>

namespace sealed::envelope {
namespace {

namespace fs = std::filesystem;
const error_code bad_file = make_error_code(error::bad_key_file);

// PKCS#8 PrivateKeyInfo for a P-256 key (RFC 5208 + RFC 5915 ECPrivateKey with the public key),
// the same bytes WebCrypto's exportKey('pkcs8') and `openssl genpkey` produce.
constexpr byte pkcs8_prefix[] = {0x30, 0x81, 0x87, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86,
                                 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
                                 0x03, 0x01, 0x07, 0x04, 0x6d, 0x30, 0x6b, 0x02, 0x01, 0x01, 0x04, 0x20};
constexpr byte pkcs8_public_prefix[] = {0xa1, 0x44, 0x03, 0x42, 0x00};

using detail::read_file;


struct ring_file {
    std::string current;
    std::string next;
    std::vector<std::pair<std::string, std::int64_t>> previous;  // kid, until (ms)
};

std::int64_t to_ms(wall_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

result<ring_file> read_ring(const fs::path& dir) {
    auto text = read_file(dir / "keyring.json");
    if (!text) return make_error_code(std::errc::no_such_file_or_directory);
    boost::system::error_code ec;
    auto v = boost::json::parse(*text, ec);
    if (ec || !v.is_object()) return bad_file;
    const auto& o = v.as_object();
    ring_file r;
    auto* current = o.if_contains("current");
    if (!current || !current->is_string()) return bad_file;
    r.current = std::string(current->as_string());
    if (auto* next = o.if_contains("next"); next && next->is_string()) r.next = std::string(next->as_string());
    if (auto* prev = o.if_contains("previous"); prev && prev->is_array()) {
        for (const auto& p : prev->as_array()) {
            auto* po = p.if_object();
            auto* kid = po ? po->if_contains("kid") : nullptr;
            auto* until = po ? po->if_contains("until") : nullptr;
            if (!kid || !kid->is_string() || !until || !until->is_int64()) return bad_file;
            r.previous.emplace_back(std::string(kid->as_string()), until->as_int64());
        }
    }
    return r;
}

error_code write_ring(const fs::path& dir, const ring_file& r) {
    boost::json::object o;
    o["current"] = r.current;
    o["next"] = r.next.empty() ? boost::json::value(nullptr) : boost::json::value(r.next);
    boost::json::array prev;
    for (const auto& [kid, until] : r.previous) prev.push_back(boost::json::object{{"kid", kid}, {"until", until}});
    o["previous"] = std::move(prev);
    const auto text = boost::json::serialize(o) + "\n";
    return files::replace(dir / "keyring.json", as_bytes(text), 0600);
}

// A kid names a file: refuse anything that could step outside the directory.
bool safe_kid(std::string_view kid) {
    return !kid.empty() && kid.size() <= 64 && std::all_of(kid.begin(), kid.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    });
}

result<std::shared_ptr<const server_key>> load_key(const fs::path& dir, std::string_view kid) {
    if (!safe_kid(kid)) return bad_file;
    auto pem = read_file(dir / (std::string(kid) + ".pem"));
    if (!pem) return bad_file;
    auto key = from_pem(*pem);
    if (!key) return key.error();
    auto k = make_server_key(std::move(*key));
    if (k->kid != kid) return bad_file;  // a file renamed by hand: its name must be its thumbprint
    return k;
}

result<std::string> new_key_file(const fs::path& dir) {
    auto k = make_server_key(crypto::p256_private_key::generate());
    const auto pem = to_pkcs8_pem(k->key);
    if (auto ec = files::replace(dir / (k->kid + ".pem"), as_bytes(pem), 0600)) return ec;
    return k->kid;
}

}  // namespace

std::string to_pkcs8_pem(const crypto::p256_private_key& key) {
    bytes der(std::begin(pkcs8_prefix), std::end(pkcs8_prefix));
    const auto scalar = key.scalar();
    der.insert(der.end(), scalar.begin(), scalar.end());
    der.insert(der.end(), std::begin(pkcs8_public_prefix), std::end(pkcs8_public_prefix));
    const auto pub = key.public_key().bytes();
    der.insert(der.end(), pub.begin(), pub.end());
    const auto b64 = crypto::base64_encode(der);
    secure_wipe(der.data(), der.size());
    std::string pem = "-----BEGIN PRIVATE KEY-----\n";
    for (std::size_t i = 0; i < b64.size(); i += 64) pem += b64.substr(i, 64) + "\n";
    pem += "-----END PRIVATE KEY-----\n";
    return pem;
}

result<crypto::p256_private_key> from_pem(std::string_view pem) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
    if (!bio) return bad_file;
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(
        PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, const_cast<char*>("")), EVP_PKEY_free);
    if (!pkey) return bad_file;
    char group[32] = {};
    std::size_t group_len = 0;
    if (EVP_PKEY_get_group_name(pkey.get(), group, sizeof group, &group_len) != 1 ||
        std::string_view(group, group_len) != "prime256v1")
        return bad_file;
    BIGNUM* d = nullptr;
    if (EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_PRIV_KEY, &d) != 1) return bad_file;
    secure_bytes scalar(32);
    const int n = BN_bn2binpad(d, scalar.data(), 32);
    BN_clear_free(d);
    if (n != 32) return bad_file;
    return crypto::p256_private_key::from_scalar(scalar);
}

namespace key_directory {

result<std::string> ensure(const fs::path& dir) {
    if (fs::exists(dir / "keyring.json")) {
        auto ring = read_ring(dir);
        if (!ring) return ring.error();
        return ring->current;
    }
    std::error_code fs_ec;
    fs::create_directories(dir, fs_ec);
    if (fs_ec) return error_code(fs_ec.value(), boost::system::generic_category());
    ::chmod(dir.c_str(), 0700);
    auto kid = new_key_file(dir);
    if (!kid) return kid.error();
    if (auto ec = write_ring(dir, {*kid, {}, {}})) return ec;
    return *kid;
}

result<keyring> load(const fs::path& dir) {
    auto ring = read_ring(dir);
    if (!ring) return ring.error();
    auto current = load_key(dir, ring->current);
    if (!current) return current.error();
    std::shared_ptr<const server_key> next;
    if (!ring->next.empty()) {
        auto k = load_key(dir, ring->next);
        if (!k) return k.error();
        next = *k;
    }
    std::vector<keyring::previous_key> previous;
    for (const auto& [kid, until] : ring->previous) {
        auto k = load_key(dir, kid);
        if (!k) return k.error();
        previous.push_back({*k, wall_clock::time_point(std::chrono::milliseconds(until))});
    }
    return keyring(std::move(*current), std::move(next), std::move(previous));
}

result<std::string> add_next(const fs::path& dir) {
    auto ring = read_ring(dir);
    if (!ring) return ring.error();
    auto kid = new_key_file(dir);
    if (!kid) return kid.error();
    if (!ring->next.empty() && safe_kid(ring->next)) {
        std::error_code ignored;
        fs::remove(dir / (ring->next + ".pem"), ignored);  // never used by clients that follow the JWKS order
    }
    ring->next = *kid;
    if (auto ec = write_ring(dir, *ring)) return ec;
    return *kid;
}

result<std::string> promote(const fs::path& dir, std::chrono::milliseconds grace) {
    auto ring = read_ring(dir);
    if (!ring) return ring.error();
    if (ring->next.empty()) {
        auto kid = new_key_file(dir);
        if (!kid) return kid.error();
        ring->next = *kid;
    }
    ring->previous.emplace_back(ring->current, to_ms(wall_clock::now() + grace));
    ring->current = std::exchange(ring->next, {});
    if (auto ec = write_ring(dir, *ring)) return ec;
    return ring->current;
}

error_code retire(const fs::path& dir, std::string_view kid) {
    auto ring = read_ring(dir);
    if (!ring) return ring.error();
    auto it = std::find_if(ring->previous.begin(), ring->previous.end(), [&](const auto& p) { return p.first == kid; });
    if (it == ring->previous.end()) return make_error_code(error::unknown_kid);  // current/next cannot be retired
    ring->previous.erase(it);
    if (auto ec = write_ring(dir, *ring)) return ec;
    std::error_code ignored;
    fs::remove(dir / (std::string(kid) + ".pem"), ignored);
    return {};
}

}  // namespace key_directory
}  // namespace sealed::envelope
