// router<Server>: IGNIS's sendToClient / sendToUser / sendToRoom / broadcast for a sealed
// server, across every process on the same bus. Each call delivers to this process's own
// connections and publishes once on the bus; each other process delivers the bus message to its
// connections. Every connection gets the event sealed with its own session, like any other.
//
//   auto bus = cluster::make_redis_bus(redis);          // or make_memory_bus() for one process
//   cluster::router r(server, bus, ecdh_gcm::wire::make_frame);
//   r.to_room("lobby", "chat", data, {sender.session_id()});
//
// Client ids are session ids (IGNIS's client id), user ids are peer ids. Destroy the router
// before the server, once the io_context has stopped (it detaches from the bus).
#pragma once

#include <sealed/cluster/bus.hpp>
#include <sealed/connection.hpp>

#include <boost/json/value.hpp>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sealed::cluster {

template <class Server>
class router {
public:
    using connection_type = typename Server::connection_type;
    // Turns an event into the scheme's frame (for ECDH-GCM: wire::make_bus_frame); `data` is null
    // when the message carried none. An empty frame means the event is not one this server's
    // connections can take: nobody gets it.
    using frame_maker = std::function<std::string(std::string_view event, const boost::json::value* data)>;

    router(Server& server, std::shared_ptr<bus> b, frame_maker make_frame, message_kind kind = message_kind::text)
        : server_(server), bus_(std::move(b)), make_frame_(std::move(make_frame)), kind_(kind) {
        bus_->on_message([this](const bus_message& m) { deliver_local(m); });
    }
    ~router() { bus_->on_message({}); }
    router(const router&) = delete;
    router& operator=(const router&) = delete;

    // Each returns how many connections of this process it reached.
    std::size_t to_client(std::string_view client_id, std::string_view event, const boost::json::value& data) {
        bus_message m{{}, target_kind::client, std::string(client_id), std::string(event), data, {}};
        const auto n = deliver_local(m);
        if (n == 0) bus_->publish(std::move(m));  // a client id lives on one process only
        return n;
    }
    std::size_t to_user(std::string_view user_id, std::string_view event, const boost::json::value& data) {
        return route({{}, target_kind::user, std::string(user_id), std::string(event), data, {}});
    }
    std::size_t to_room(std::string_view room, std::string_view event, const boost::json::value& data,
                        std::vector<std::string> exclude = {}) {
        return route({{}, target_kind::room, std::string(room), std::string(event), data, std::move(exclude)});
    }
    std::size_t broadcast(std::string_view event, const boost::json::value& data, std::vector<std::string> exclude = {}) {
        return route({{}, target_kind::broadcast, {}, std::string(event), data, std::move(exclude)});
    }

    bus& message_bus() noexcept { return *bus_; }

private:
    std::size_t route(bus_message m) {
        const auto n = deliver_local(m);
        bus_->publish(std::move(m));
        return n;
    }

    std::size_t deliver_local(const bus_message& m) {
        const auto frame = make_frame_(m.event, m.data ? &*m.data : nullptr);
        if (frame.empty()) return 0;
        // As IGNIS: exclude counts for rooms and broadcasts, not for a client or user named.
        const bool may_exclude = m.type == target_kind::room || m.type == target_kind::broadcast;
        auto excluded = [&](const connection_type& c) {
            return may_exclude && std::find(m.exclude.begin(), m.exclude.end(), c.session_id()) != m.exclude.end();
        };
        std::size_t n = 0;
        auto give = [&](connection_type& c) {
            if (excluded(c)) return;
            c.send(bytes(frame.begin(), frame.end()), kind_);
            ++n;
        };
        switch (m.type) {
            case target_kind::client:
                if (auto c = server_.get_session(m.target)) give(*c);
                break;
            case target_kind::user:
                server_.for_each([&](connection_type& c) {
                    if (c.peer_id() == m.target) give(c);
                });
                break;
            case target_kind::room:
                for (auto id : server_.rooms().members(m.target))
                    if (auto c = server_.get_connection(id); c && !c->closing()) give(*c);
                break;
            case target_kind::broadcast:
                server_.for_each(give);
                break;
        }
        return n;
    }

    Server& server_;
    std::shared_ptr<bus> bus_;
    frame_maker make_frame_;
    message_kind kind_;
};

}  // namespace sealed::cluster
