// Must not compile: a scheme whose admit() answers bool instead of an optional refusal is a near
// miss of the admit hook, and server<> says so (tests/headers/CMakeLists.txt expects the message).
#include <sealed/plaintext/scheme.hpp>
#include <sealed/server.hpp>

struct near_miss : sealed::plaintext::scheme {
    static bool admit(const sealed::http_request&, const options&);
};

template class sealed::server<sealed::ws, near_miss>;
