# Dependencies are Debian 12 packages (scripts/setup installs them).
set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads REQUIRED)
find_package(Boost 1.81 REQUIRED COMPONENTS json)
find_package(OpenSSL 3 REQUIRED)
find_package(spdlog REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(BOTAN REQUIRED IMPORTED_TARGET GLOBAL botan-2>=2.19)
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET GLOBAL hiredis)
# libsodium is optional: its provider is compiled when pkg-config finds it (libsodium-dev).
pkg_check_modules(SODIUM QUIET IMPORTED_TARGET GLOBAL libsodium>=1.0.18)
find_package(CLI11 CONFIG REQUIRED)
