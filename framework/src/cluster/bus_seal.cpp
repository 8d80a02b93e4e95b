// The sealed bus's keyring, sealer and opener (bus_seal.hpp).
#include <sealed/cluster/bus_seal.hpp>
#include <sealed/crypto/aead.hpp>
#include <sealed/crypto/encoding.hpp>
#include <sealed/crypto/random.hpp>
#include <sealed/files.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cstring>

namespace sealed::cluster {
namespace {

namespace json = boost::json;
using sealed::crypto::aead_algorithm;

constexpr std::string_view wire_prefix = "sb1.";
constexpr std::size_t nonce_size = 24;
constexpr std::size_t max_id_size = 32;

bool valid_id(std::string_view id) {
    return !id.empty() && id.size() <= max_id_size && std::all_of(id.begin(), id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    });
}

std::string aad_for(std::string_view id) { return "sealed-bus/1|" + std::string(id); }

std::int64_t unix_ms(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

}  // namespace

result<bus_keyring> bus_keyring::parse(std::string_view text, std::string* why) {
    auto fail = [why](std::string reason) -> result<bus_keyring> {
        if (why != nullptr) *why = std::move(reason);
        return make_error_code(errc::invalid_key);
    };
    bus_keyring ring;
    std::size_t line_number = 0;
    while (!text.empty()) {
        const auto end = std::min(text.find('\n'), text.size());
        auto line = trim(text.substr(0, end));
        text.remove_prefix(std::min(end + 1, text.size()));
        ++line_number;
        if (line.empty() || line.front() == '#') continue;
        const auto where = "line " + std::to_string(line_number) + ": ";
        const auto space = line.find_first_of(" \t");
        if (space == std::string_view::npos) return fail(where + "expected '<id> <base64 key>'");
        const auto id = line.substr(0, space);
        if (!valid_id(id)) return fail(where + "a key id is 1-32 characters from [A-Za-z0-9._-]");
        if (ring.find(id) != nullptr) return fail(where + "key id '" + std::string(id) + "' appears twice");
        auto key = crypto::base64_decode(trim(line.substr(space)));
        if (!key || key->size() != crypto::aead::key_size)
            return fail(where + "the key is not 32 bytes in base64 (head -c32 /dev/urandom | base64)");
        ring.keys_.push_back({std::string(id), secure_bytes(key->begin(), key->end())});
        std::fill(key->begin(), key->end(), byte{0});
    }
    if (ring.keys_.empty()) return fail("no key: expected a line '<id> <base64 key>'");
    return ring;
}

result<bus_keyring> bus_keyring::load(const std::filesystem::path& file, std::string* why) {
    auto text = files::read(file);
    if (!text) {
        if (why != nullptr) *why = file.string() + ": " + text.error().message();
        return text.error();
    }
    return parse(as_string_view(*text), why);
}

const bus_keyring::key* bus_keyring::find(std::string_view id) const noexcept {
    for (const auto& k : keys_)
        if (k.id == id) return &k;
    return nullptr;
}

bus_sealer::bus_sealer(std::shared_ptr<const bus_keyring> keys)
    : keys_(std::move(keys)), boot_(crypto::hex_encode(crypto::random_array<8>())) {}

std::string bus_sealer::seal(const bus_message& m) {
    const auto& key = keys_->sealing();
    std::string inside = "{\"b\":\"" + boot_ + "\",\"q\":" + std::to_string(++sequence_) +
                         ",\"t\":" + std::to_string(unix_ms(std::chrono::system_clock::now())) +
                         ",\"m\":" + to_json(m) + "}";
    const auto nonce = crypto::random_array<nonce_size>();
    const auto aad = aad_for(key.id);
    auto sealed = crypto::aead_seal(aead_algorithm::xchacha20_poly1305, key.bytes, nonce, as_bytes(aad), as_bytes(inside));
    if (!sealed) throw std::runtime_error("bus_sealer: " + sealed.error().message());  // a valid key always seals
    bytes body(nonce.begin(), nonce.end());
    body.insert(body.end(), sealed->begin(), sealed->end());
    return std::string(wire_prefix) + key.id + "." + crypto::base64url_encode(body);
}

bus_opener::bus_opener(std::shared_ptr<const bus_keyring> keys, bus_seal_options opts)
    : keys_(std::move(keys)), opts_(opts) {}

result<bus_message> bus_opener::open(std::string_view wire) { return open(wire, std::chrono::system_clock::now()); }

result<bus_message> bus_opener::open(std::string_view wire, std::chrono::system_clock::time_point now) {
    const auto forged = make_error_code(errc::decrypt_failed);
    if (wire.substr(0, wire_prefix.size()) != wire_prefix) return forged;
    wire.remove_prefix(wire_prefix.size());
    const auto dot = wire.rfind('.');  // ids may hold dots; base64url never does
    if (dot == std::string_view::npos) return forged;
    const auto* key = keys_->find(wire.substr(0, dot));
    if (key == nullptr) return forged;
    auto body = crypto::base64url_decode(wire.substr(dot + 1));
    if (!body || body->size() < nonce_size + crypto::aead::tag_size) return forged;
    const auto aad = aad_for(key->id);
    const const_bytes nonce(body->data(), nonce_size);
    const const_bytes sealed(body->data() + nonce_size, body->size() - nonce_size);
    auto inside = crypto::aead_open(aead_algorithm::xchacha20_poly1305, key->bytes, nonce, as_bytes(aad), sealed);
    if (!inside) return forged;

    // Authenticated from here on: a malformed inside is a bug of a keyholder, still refused.
    error_code jec;
    auto doc = json::parse(as_string_view(*inside), jec);
    const auto* fields = jec ? nullptr : doc.if_object();
    const auto* boot = fields ? fields->if_contains("b") : nullptr;
    const auto* sequence = fields ? fields->if_contains("q") : nullptr;
    const auto* time = fields ? fields->if_contains("t") : nullptr;
    const auto* message = fields ? fields->if_contains("m") : nullptr;
    if (!boot || !boot->is_string() || !sequence || !sequence->is_number() || !time || !time->is_number() || !message)
        return make_error_code(errc::protocol_violation);
    auto m = parse_bus_message(json::serialize(*message));
    if (!m) return m.error();

    const auto sent_ms = time->to_number<std::int64_t>(jec);
    const auto q = sequence->to_number<std::uint64_t>(jec);
    if (jec) return make_error_code(errc::protocol_violation);
    const auto skew = std::chrono::milliseconds(std::llabs(unix_ms(now) - sent_ms));
    if (skew > opts_.window) return make_error_code(errc::duplicate_message);
    if (!accept(m->server_id + "/" + std::string(boot->get_string()), q, now))
        return make_error_code(errc::duplicate_message);
    return m;
}

bool bus_opener::accept(const std::string& sender, std::uint64_t sequence, std::chrono::system_clock::time_point now) {
    if (senders_.size() >= sweep_at_) sweep(now);
    auto& w = senders_[sender];
    w.last = now;
    if (sequence > w.highest) {
        const auto ahead = sequence - w.highest;
        w.seen = ahead >= 64 ? 0 : w.seen << ahead;
        w.seen |= 1;
        w.highest = sequence;
        return true;
    }
    const auto behind = w.highest - sequence;
    if (behind >= 64 || sequence == 0) return false;  // too old to tell: refused, as IPsec does
    const auto bit = std::uint64_t{1} << behind;
    if ((w.seen & bit) != 0) return false;
    w.seen |= bit;
    return true;
}

// A sender silent for two windows can only be replayed outside the window, which open()
// refuses by time; forgetting it is safe.
void bus_opener::sweep(std::chrono::system_clock::time_point now) {
    std::erase_if(senders_, [&](const auto& entry) { return now - entry.second.last > 2 * opts_.window; });
    sweep_at_ = std::max<std::size_t>(64, senders_.size() * 2);
}

}  // namespace sealed::cluster
