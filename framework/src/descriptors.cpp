#include <sealed/detail/descriptors.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

namespace sealed::detail {

error_code ensure_descriptors(std::size_t needed) noexcept {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return error_code(errno, boost::system::system_category());
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed) {
        rlimit raised = limit;
        raised.rlim_cur = limit.rlim_max == RLIM_INFINITY ? needed : std::min<rlim_t>(limit.rlim_max, needed);
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
    }
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed) return make_error_code(errc::descriptor_limit);
    return {};
}

std::size_t connections_the_hard_limit_holds() noexcept {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_max == RLIM_INFINITY) return SIZE_MAX;
    const auto hard = static_cast<std::size_t>(limit.rlim_max);
    return hard > reserved_descriptors ? hard - reserved_descriptors : 0;
}

bool out_of_descriptors(const error_code& ec) noexcept {
    if (ec.category() != boost::system::system_category()) return false;
    const int e = ec.value();
    return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}

}  // namespace sealed::detail
