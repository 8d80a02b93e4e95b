#include <sealed/detail/descriptors.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>

namespace sealed::detail {

result<descriptor_limits> ensure_descriptors(std::size_t needed) noexcept {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return error_code(errno, boost::system::system_category());
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed) {
        rlimit raised = limit;
        raised.rlim_cur = limit.rlim_max == RLIM_INFINITY ? needed : std::min<rlim_t>(limit.rlim_max, needed);
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
    }
    const auto as_size = [](rlim_t v) { return v == RLIM_INFINITY ? static_cast<std::size_t>(-1) : static_cast<std::size_t>(v); };
    const descriptor_limits now{as_size(limit.rlim_cur), as_size(limit.rlim_max)};
    if (now.soft < needed) return make_error_code(errc::descriptor_limit);
    return now;
}

bool out_of_descriptors(const error_code& ec) noexcept {
    if (ec.category() != boost::system::system_category()) return false;
    const int e = ec.value();
    return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}

}  // namespace sealed::detail
