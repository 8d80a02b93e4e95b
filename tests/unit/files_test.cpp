// sealed::files: key files written whole with their mode from the first byte, created once
// across racing processes, and list files read line by line.
#include <sealed/files.hpp>

#include <sealed_test/temp_dir.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <string>
#include <vector>

namespace {

using namespace sealed;

mode_t mode_of(const std::filesystem::path& p) {
    struct stat st {};
    ::stat(p.c_str(), &st);
    return st.st_mode & 0777;
}

TEST(files, replace_writes_the_whole_file_with_its_mode_whatever_the_umask) {
    sealed_test::temp_dir dir;
    std::filesystem::create_directories(dir.path);
    const auto file = dir.path / "private.key";
    const auto old_mask = ::umask(0);
    EXPECT_FALSE(files::replace(file, as_bytes("first"), 0600));
    ::umask(old_mask);
    EXPECT_EQ(mode_of(file), 0600u);
    EXPECT_FALSE(files::replace(file, as_bytes("second"), 0600));
    EXPECT_EQ(as_string_view(files::read(file).value()), "second");
    EXPECT_FALSE(std::filesystem::exists(dir.path / "private.key.tmp"));
    EXPECT_EQ(files::replace(dir.path / "no" / "such" / "dir", as_bytes("x")).value(), ENOENT);
}

TEST(files, create_exclusive_writes_once) {
    sealed_test::temp_dir dir;
    std::filesystem::create_directories(dir.path);
    const auto file = dir.path / "identity.key";
    EXPECT_EQ(files::create_exclusive(file, as_bytes("mine")), result<bool>(true));
    EXPECT_EQ(mode_of(file), 0600u);
    EXPECT_EQ(files::create_exclusive(file, as_bytes("theirs")), result<bool>(false));
    EXPECT_EQ(as_string_view(files::read(file).value()), "mine");
    EXPECT_EQ(files::read(dir.path / "absent").error().value(), ENOENT);
}

TEST(files, list_lines_drop_comments_blanks_and_padding) {
    std::vector<std::string> lines;
    auto collect = [&](std::string_view line) -> error_code {
        lines.emplace_back(line);
        return {};
    };
    EXPECT_FALSE(files::for_each_list_line("# header\n  one  \r\n\n\ttwo # why\n#three\nfour", collect));
    EXPECT_EQ(lines, (std::vector<std::string>{"one", "two", "four"}));
    lines.clear();
    auto refuse_second = [&](std::string_view line) -> error_code {
        lines.emplace_back(line);
        return lines.size() == 2 ? make_error_code(errc::invalid_encoding) : error_code{};
    };
    EXPECT_EQ(files::for_each_list_line("a\nb\nc\n", refuse_second), errc::invalid_encoding);
    EXPECT_EQ(lines.size(), 2u);
    EXPECT_EQ(files::trim(" \t x y \r\n"), "x y");
    EXPECT_EQ(files::trim(" \t\r\n"), "");
}

}  // namespace
