// The one place that names the networking namespaces (DESIGN.md §3: Asio from Boost).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>

namespace sealed {
namespace net = boost::asio;
namespace beast = boost::beast;
using tcp_socket = boost::asio::ip::tcp::socket;
using tcp_endpoint = boost::asio::ip::tcp::endpoint;

// Every completion in sealed goes through as_tuple so expected failures stay error_codes.
template <class T = void>
using awaitable = net::awaitable<T>;
}  // namespace sealed
