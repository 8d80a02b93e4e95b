// libFuzzer target for what the signaling broker reads from the network: frames (the message
// parser, and a serialize → parse round trip that must give the same frame back), the upgrade's
// query (admission), frames relayed between two admitted sockets, and HTTP request targets.
// The first input byte picks the parser. Build and run: scripts/fuzz (docs/reliability.md).
#include <sealed/signaling/broker.hpp>
#include <sealed/signaling/message.hpp>
#include <sealed/url.hpp>

#include <boost/asio/io_context.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

using namespace sealed;
namespace sig = sealed::signaling;

namespace {

std::shared_ptr<sig::broker> make_broker() {
    static net::io_context io;  // never run: the fuzzer drives sweep() itself
    sig::broker_options o;
    o.queue_limit = 4;
    o.concurrent_limit = 8;
    return sig::broker::make(io.get_executor(), o);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 4) {
    case 0: {
        auto m = sig::parse_message(input);
        if (!m) break;
        const auto once = sig::serialize(*m);
        auto again = sig::parse_message(once);
        if (!again || sig::serialize(*again) != once) std::abort();  // what we send, we can read
        break;
    }
    case 1: {  // the query of an upgrade, as given
        auto broker = make_broker();
        (void)broker->admit(input);
        (void)query_param(input, "id");
        break;
    }
    case 2: {  // frames (one per line) from an admitted socket to another
        auto broker = make_broker();
        auto a = broker->admit("/peerjs?key=peerjs&id=a&token=t");
        auto b = broker->admit("/peerjs?key=peerjs&id=b&token=t");
        if (!a.admitted || !b.admitted) std::abort();
        std::size_t delivered = 0;
        broker->attach(b.admitted, {[&](std::string) { ++delivered; }, [](close_reason) {}});
        std::string_view rest = input;
        while (!rest.empty()) {
            const auto nl = rest.find('\n');
            (void)broker->receive(a.admitted, rest.substr(0, nl));
            rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
        }
        broker->sweep(std::chrono::steady_clock::now() + std::chrono::hours(1));
        break;
    }
    case 3: {  // an HTTP request target
        auto broker = make_broker();
        http_request req{http::verb::get, std::string(input), 11};
        (void)broker->http(req);
        break;
    }
    }
    return 0;
}
