#include <sealed/envelope/service.hpp>
#include <sealed/envelope/scheme.hpp>

#include <sealed/http.hpp>
#include <sealed/log.hpp>

#include <algorithm>

namespace sealed::envelope {
namespace {

http_response json_response(const http_request& req, unsigned status, std::string body) {
    auto res = make_response(req, static_cast<http::status>(status), std::move(body), "application/json");
    return res;
}

// Route lists are short: a linear search.
bool listed(const std::vector<std::string>& routes, std::string_view path) {
    return std::find(routes.begin(), routes.end(), path) != routes.end();
}

constexpr error all_refusals[] = {error::body_too_large,     error::malformed_envelope, error::unsupported_version,
                                  error::unknown_kid,        error::stale_timestamp,    error::invalid_public_key,
                                  error::decrypt_failed,     error::replayed_nonce,     error::replay_store_unavailable,
                                  error::not_found,          error::method_not_allowed};

}  // namespace

service::service(std::shared_ptr<key_store> keys, std::shared_ptr<cluster::replay_store> replay, app_handler app,
                 service_options options, logger log)
    : keys_(std::move(keys)), replay_(std::move(replay)), app_(std::move(app)), options_(std::move(options)),
      log_(std::move(log)) {
    if (!keys_ || !replay_ || !app_) throw std::invalid_argument("envelope::service needs keys, a replay store and a handler");
}

void service::count_refusal(error e) noexcept { refusals_[static_cast<std::size_t>(e)]++; }

service_reply service::refuse(error e, std::string_view route) {
    count_refusal(e);
    // The route is ours; nothing the client sent (kid, nonce, body) goes into the log.
    if (std::uint64_t held = 0; refusal_lines_.allow(held))
        log_.info("refused a request to {}: {} ({} more refusals since the last line)", route, code_of(e), held);
    return {http_status_of(e), refusal_body(e), e};
}

awaitable<service_reply> service::handle(std::string_view route, std::string_view body) {
    if (body.size() > options_.body_limit) co_return refuse(error::body_too_large, route);
    const auto ring = keys_->snapshot();
    auto opened = open_request(body, *ring, wall_clock::now(), {options_.window});
    if (!opened) co_return refuse(refusal_of(opened.error()), route);

    // Last, after the tag verified: only a genuine envelope may take a nonce slot.
    const std::string replay_key = options_.nonce_key_prefix + opened->envelope().nonce;
    auto fresh = co_await replay_->async_remember(replay_key, options_.nonce_ttl);
    if (!fresh) {
        log_.warn("replay store ({}) could not answer: {}", replay_->name(), fresh.error().message());
        co_return refuse(error::replay_store_unavailable, route);
    }
    if (!*fresh) co_return refuse(error::replayed_nonce, route);

    auto reply = co_await app_(route, as_string_view(opened->plaintext()));
    served_++;
    co_return service_reply{reply.status, opened->seal_response(as_bytes(reply.body)), std::nullopt, reply.retry_after};
}

bool service::is_route(std::string_view path) const {
    if (!path.starts_with(options_.api_prefix) || path.size() == options_.api_prefix.size()) return false;
    return options_.routes.empty() || listed(options_.routes, path);
}

http_response service::not_found(const http_request& req) {
    count_refusal(error::not_found);
    return json_response(req, 404, refusal_body(error::not_found));
}

awaitable<std::optional<http_response>> service::handle_http(const http_request& req) {
    const auto path = target_path(req.target());
    // Routing comes before the body limit: a wrong path or method is answered as such.
    const auto wrong_method = [&](std::string_view allow) {
        count_refusal(error::method_not_allowed);
        auto res = json_response(req, 405, refusal_body(error::method_not_allowed));
        res.set(http::field::allow, allow);
        return res;
    };
    const bool get_or_head = req.method() == http::verb::get || req.method() == http::verb::head;
    if (path == options_.keys_path) {
        if (!get_or_head) co_return wrong_method("GET, HEAD");
        auto res = json_response(req, 200, keys_->snapshot()->jwks());
        res.set(http::field::cache_control, "max-age=60");
        co_return res;
    }
    if (path == options_.health_path) {
        // Served whatever the replay store's state: the process is up.
        if (!get_or_head) co_return wrong_method("GET, HEAD");
        co_return make_response(req, http::status::ok, "ok", "text/plain");
    }
    if (!path.starts_with(options_.api_prefix)) co_return std::nullopt;
    if (!is_route(path)) co_return not_found(req);
    if (req.method() != http::verb::post) co_return wrong_method("POST");
    const std::string route(path);
    auto reply = co_await handle(route, req.body());
    auto res = json_response(req, reply.status, std::move(reply.body));
    if (reply.retry_after) res.set(http::field::retry_after, std::to_string(reply.retry_after));
    co_return res;
}

std::string service::prometheus_text() const {
    std::string out = "# HELP sealed_envelope_served_total Envelopes opened and answered.\n"
                      "# TYPE sealed_envelope_served_total counter\n"
                      "sealed_envelope_served_total " + std::to_string(served_.load()) + "\n"
                      "# HELP sealed_envelope_refused_total Envelopes refused, by code.\n"
                      "# TYPE sealed_envelope_refused_total counter\n";
    for (auto e : all_refusals)
        out += "sealed_envelope_refused_total{code=\"" + std::string(code_of(e)) + "\"} " +
               std::to_string(refusals_[static_cast<std::size_t>(e)].load()) + "\n";
    return out;
}

std::optional<http_response> scheme::admit(const http_request& upgrade, const options& o) {
    if (o.routes.empty() || listed(o.routes, target_path(upgrade.target()))) return std::nullopt;
    return make_response(upgrade, http::status::not_found, refusal_body(error::not_found), "application/json");
}

}  // namespace sealed::envelope
