#include <sealed/metrics.hpp>

#include "prometheus_text.hpp"

#include <sstream>

namespace sealed {

std::string runtime_stats::render(const std::string& p) const {
    std::ostringstream out;
    detail::write_metric(out, p + "_connections_open", "gauge", "Connections open now, handshakes included.",
                         connections_open);
    detail::write_metric(out, p + "_connections_total", "counter", "Connections accepted.", connections_total);
    out << "# HELP " << p << "_connections_refused_total Connections refused before the upgrade.\n"
        << "# TYPE " << p << "_connections_refused_total counter\n"
        << p << "_connections_refused_total{reason=\"max_connections\"} " << refused_max_connections << '\n'
        << p << "_connections_refused_total{reason=\"origin\"} " << refused_origin << '\n'
        << p << "_connections_refused_total{reason=\"per_ip\"} " << refused_per_ip << '\n'
        << p << "_connections_refused_total{reason=\"handshake_rate\"} " << refused_handshake_rate << '\n'
        << p << "_connections_refused_total{reason=\"proxy_protocol\"} " << refused_proxy_protocol << '\n'
        << p << "_connections_refused_total{reason=\"admission\"} " << refused_admission << '\n';
    detail::write_metric(out, p + "_accept_failures_total", "counter", "accept() errors (EMFILE: out of descriptors).",
                         accept_failures);
    detail::write_metric(out, p + "_evicted_total", "counter",
                         "Connections waiting longest on their peer, closed to make room.", evicted);
    detail::write_metric(out, p + "_handshakes_ok_total", "counter", "Handshakes completed.", handshakes_ok);
    out << "# HELP " << p << "_handshakes_failed_total Handshakes failed, by error.\n"
        << "# TYPE " << p << "_handshakes_failed_total counter\n";
    {
        std::lock_guard lock(mutex_);
        for (const auto& [reason, n] : handshake_failures_)
            out << p << "_handshakes_failed_total{error=\"" << reason << "\"} " << n << '\n';
        out << "# HELP " << p << "_handshake_seconds Time from accept to an established session.\n"
            << "# TYPE " << p << "_handshake_seconds histogram\n";
        for (std::size_t i = 0; i < latency_bounds.size(); ++i)
            out << p << "_handshake_seconds_bucket{le=\"" << latency_bounds[i] << "\"} " << latency_buckets_[i] << '\n';
        out << p << "_handshake_seconds_bucket{le=\"+Inf\"} " << latency_count_ << '\n'
            << p << "_handshake_seconds_sum " << latency_sum_ << '\n'
            << p << "_handshake_seconds_count " << latency_count_ << '\n';
    }
    detail::write_metric(out, p + "_messages_in_total", "counter", "Messages received and opened.", messages_in);
    detail::write_metric(out, p + "_messages_out_total", "counter", "Messages sealed and written.", messages_out);
    detail::write_metric(out, p + "_bytes_in_total", "counter", "Plaintext bytes received.", bytes_in);
    detail::write_metric(out, p + "_bytes_out_total", "counter", "Plaintext bytes sent.", bytes_out);
    detail::write_metric(out, p + "_send_queue_bytes", "gauge", "Bytes queued to be written, all connections.",
                         send_queue_bytes);
    out << "# HELP " << p << "_dropped_total Messages dropped or connections closed by a policy.\n"
        << "# TYPE " << p << "_dropped_total counter\n"
        << p << "_dropped_total{reason=\"rate_limit\"} " << dropped_rate_limited << '\n'
        << p << "_dropped_total{reason=\"duplicate\"} " << dropped_duplicate << '\n'
        << p << "_dropped_total{reason=\"oversize\"} " << closed_oversize << '\n'
        << p << "_dropped_total{reason=\"send_queue_full\"} " << closed_send_queue_full << '\n'
        << p << "_dropped_total{reason=\"send_queue_oldest\"} " << dropped_send_queue << '\n'
        << p << "_dropped_total{reason=\"idle_timeout\"} " << closed_idle << '\n'
        << p << "_dropped_total{reason=\"liveness_timeout\"} " << closed_liveness << '\n'
        << p << "_dropped_total{reason=\"refused\"} " << dropped_invalid << '\n'
        << p << "_dropped_total{reason=\"open_failed\"} " << dropped_failed_open << '\n';
    return out.str();
}

}  // namespace sealed
