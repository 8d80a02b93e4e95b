# `cmake --install` gives headers, libraries and sealedConfig.cmake so that an outside project
# does find_package(sealed) and links sealed::framework and sealed::<plugin>.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/framework/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
get_property(sealed_plugin_include_dirs GLOBAL PROPERTY SEALED_PLUGIN_INCLUDE_DIRS)
foreach(dir IN LISTS sealed_plugin_include_dirs)
  install(DIRECTORY ${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endforeach()

get_property(sealed_install_targets GLOBAL PROPERTY SEALED_INSTALL_TARGETS)
install(TARGETS ${sealed_install_targets} EXPORT sealedTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT sealedTargets NAMESPACE sealed:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/sealed)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/sealedConfig.cmake.in
  ${PROJECT_BINARY_DIR}/sealedConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/sealed)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/sealedConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/sealedConfig.cmake ${PROJECT_BINARY_DIR}/sealedConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/sealed)
