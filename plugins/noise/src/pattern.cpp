#include <sealed/noise/pattern.hpp>

#include <array>
#include <cctype>
#include <charconv>

namespace sealed::noise {
namespace {

// The spec's patterns in its own notation: pre-messages, "...", then one line per message.
struct pattern_text {
    std::string_view name;
    std::string_view text;
};

constexpr std::array<pattern_text, 38> base_patterns{{
    // §7.4 one-way
    {"N", "<- s\n...\n-> e, es"},
    {"K", "-> s\n<- s\n...\n-> e, es, ss"},
    {"X", "<- s\n...\n-> e, es, s, ss"},
    // §7.4 interactive
    {"NN", "-> e\n<- e, ee"},
    {"NK", "<- s\n...\n-> e, es\n<- e, ee"},
    {"NX", "-> e\n<- e, ee, s, es"},
    {"KN", "-> s\n...\n-> e\n<- e, ee, se"},
    {"KK", "-> s\n<- s\n...\n-> e, es, ss\n<- e, ee, se"},
    {"KX", "-> s\n...\n-> e\n<- e, ee, se, s, es"},
    {"XN", "-> e\n<- e, ee\n-> s, se"},
    {"XK", "<- s\n...\n-> e, es\n<- e, ee\n-> s, se"},
    {"XX", "-> e\n<- e, ee, s, es\n-> s, se"},
    {"IN", "-> e, s\n<- e, ee, se"},
    {"IK", "<- s\n...\n-> e, es, s, ss\n<- e, ee, se"},
    {"IX", "-> e, s\n<- e, ee, se, s, es"},
    // §7.5 deferred
    {"NK1", "<- s\n...\n-> e\n<- e, ee, es"},
    {"NX1", "-> e\n<- e, ee, s\n-> es"},
    {"X1N", "-> e\n<- e, ee\n-> s\n<- se"},
    {"X1K", "<- s\n...\n-> e, es\n<- e, ee\n-> s\n<- se"},
    {"XK1", "<- s\n...\n-> e\n<- e, ee, es\n-> s, se"},
    {"X1K1", "<- s\n...\n-> e\n<- e, ee, es\n-> s\n<- se"},
    {"X1X", "-> e\n<- e, ee, s, es\n-> s\n<- se"},
    {"XX1", "-> e\n<- e, ee, s\n-> es, s, se"},
    {"X1X1", "-> e\n<- e, ee, s\n-> es, s\n<- se"},
    {"K1N", "-> s\n...\n-> e\n<- e, ee\n-> se"},
    {"K1K", "-> s\n<- s\n...\n-> e, es\n<- e, ee\n-> se"},
    {"KK1", "-> s\n<- s\n...\n-> e\n<- e, ee, se, es"},
    {"K1K1", "-> s\n<- s\n...\n-> e\n<- e, ee, es\n-> se"},
    {"K1X", "-> s\n...\n-> e\n<- e, ee, s, es\n-> se"},
    {"KX1", "-> s\n...\n-> e\n<- e, ee, se, s\n-> es"},
    {"K1X1", "-> s\n...\n-> e\n<- e, ee, s\n-> se, es"},
    {"I1N", "-> e, s\n<- e, ee\n-> se"},
    {"I1K", "<- s\n...\n-> e, es, s\n<- e, ee\n-> se"},
    {"IK1", "<- s\n...\n-> e, s\n<- e, ee, se, es"},
    {"I1K1", "<- s\n...\n-> e, s\n<- e, ee, es\n-> se"},
    {"I1X", "-> e, s\n<- e, ee, s, es\n-> se"},
    {"IX1", "-> e, s\n<- e, ee, se, s\n-> es"},
    {"I1X1", "-> e, s\n<- e, ee, s\n-> se, es"},
}};

result<token> parse_token(std::string_view t) {
    if (t == "e") return token::e;
    if (t == "s") return token::s;
    if (t == "ee") return token::ee;
    if (t == "es") return token::es;
    if (t == "se") return token::se;
    if (t == "ss") return token::ss;
    if (t == "psk") return token::psk;
    return errc::invalid_argument;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
}

// "-> e, es" → {true, {e, es}}.
result<message_pattern> parse_line(std::string_view line) {
    message_pattern m{line.starts_with("->"), {}};
    if (!m.from_initiator && !line.starts_with("<-")) return errc::invalid_argument;
    line.remove_prefix(2);
    while (!(line = trim(line)).empty()) {
        const auto comma = line.find(',');
        auto t = parse_token(trim(line.substr(0, comma)));
        if (!t) return t.error();
        m.tokens.push_back(*t);
        line = comma == std::string_view::npos ? std::string_view{} : line.substr(comma + 1);
    }
    return m;
}

result<handshake_pattern> parse_pattern(std::string_view name, std::string_view text) {
    handshake_pattern p{std::string(name), {}, {}, {}, 0};
    std::vector<message_pattern> lines;
    bool premessages_done = text.find("...") == std::string_view::npos;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        const auto line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        if (line == "...") {
            premessages_done = true;
            continue;
        }
        auto m = parse_line(line);
        if (!m) return m.error();
        if (!premessages_done)
            (m->from_initiator ? p.initiator_premessage : p.responder_premessage) = std::move(m->tokens);
        else
            p.messages.push_back(std::move(*m));
    }
    return p;
}

// "psk0" puts a psk token first in the first message; "pskN" last in the N-th.
error_code apply_modifier(handshake_pattern& p, std::string_view modifier) {
    if (!modifier.starts_with("psk")) return errc::unsupported_algorithm;
    std::size_t n = 0;
    const auto digits = modifier.substr(3);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc{} || end != digits.data() + digits.size() || n > p.messages.size())
        return errc::invalid_argument;
    if (n == 0)
        p.messages.front().tokens.insert(p.messages.front().tokens.begin(), token::psk);
    else
        p.messages[n - 1].tokens.push_back(token::psk);
    ++p.psk_count;
    return {};
}

}  // namespace

result<handshake_pattern> find_pattern(std::string_view name) {
    // The base name is the leading run of capitals and digits that names a pattern ("X1K1"),
    // then modifiers joined by '+'.
    std::size_t base_end = 0;
    while (base_end < name.size() && (std::isupper(static_cast<unsigned char>(name[base_end])) ||
                                      std::isdigit(static_cast<unsigned char>(name[base_end]))))
        ++base_end;
    const auto base = name.substr(0, base_end);
    const pattern_text* found = nullptr;
    for (const auto& candidate : base_patterns)
        if (candidate.name == base) found = &candidate;
    if (!found) return errc::unsupported_algorithm;
    auto p = parse_pattern(found->name, found->text);
    if (!p) return p.error();
    for (auto modifiers = name.substr(base_end); !modifiers.empty();) {
        const auto plus = modifiers.find('+');
        if (auto ec = apply_modifier(*p, modifiers.substr(0, plus))) return ec;
        modifiers = plus == std::string_view::npos ? std::string_view{} : modifiers.substr(plus + 1);
    }
    p->name = std::string(name);
    return p;
}

result<protocol> parse_protocol_name(std::string_view name) {
    std::vector<std::string_view> parts;
    for (std::size_t start = 0;;) {
        const auto underscore = name.find('_', start);
        parts.push_back(name.substr(start, underscore - start));
        if (underscore == std::string_view::npos) break;
        start = underscore + 1;
    }
    if (parts.size() != 5 || parts[0] != "Noise") return errc::invalid_argument;
    if (parts[2] != "25519" || parts[3] != "ChaChaPoly" || parts[4] != "SHA256") return errc::unsupported_algorithm;
    auto pattern = find_pattern(parts[1]);
    if (!pattern) return pattern.error();
    return protocol{std::string(name), std::move(*pattern)};
}

}  // namespace sealed::noise
