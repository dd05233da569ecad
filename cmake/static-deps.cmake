# SPDX-License-Identifier: MIT
# static-deps.cmake: how automator links its libraries (docs in
# bench/README.md, "helper-latency"). orchestrator-helper is started once
# per check by scripts and agents, so loading and relocating shared
# libraries (five of them, sqlite3's alone over a thousand symbols) cost
# more than its work. Two options, both on for Release builds:
#
#   AUTOMATOR_STATIC_DEPS  libyaml, pcre2, sqlite3 and jansson from their
#                          static archives (Debian's -dev packages ship
#                          them); libc stays shared.
#   AUTOMATOR_STATIC_PIE   the automator executable as a static PIE: libc
#                          too, no dynamic loader at all, still randomised
#                          (ASLR). Needs every archive above and glibc's
#                          libc.a (libc6-dev); checked by a test link.
#
# Whatever is missing falls back, with a warning naming it, to the shared
# library: the build never fails for want of an archive.

# au_dep(PREFIX OUT [EXTRA LIBS...]): OUT = the target to link for the
# module pkg_check_modules(PREFIX ... IMPORTED_TARGET) found: PkgConfig::PREFIX,
# or with AUTOMATOR_STATIC_DEPS an interface target holding its archives
# (lib<name>.a), what they need (pkg-config --static, plus EXTRA) and
# --as-needed, so that a private library pkg-config lists but the archive
# does not use (sqlite3's -lz) never becomes a load-time dependency.
function(au_dep prefix out)
	cmake_parse_arguments(PARSE_ARGV 2 ARG "" "" "EXTRA")
	set(module ${${prefix}_MODULE_NAME})
	if(NOT AUTOMATOR_STATIC_DEPS)
		set_property(GLOBAL APPEND PROPERTY AUTOMATOR_SHARED_DEPS ${module})
		set(${out} PkgConfig::${prefix} PARENT_SCOPE)
		return()
	endif()
	set(archives)
	foreach(lib IN LISTS ${prefix}_LIBRARIES)
		find_library(AUTOMATOR_STATIC_${lib} NAMES lib${lib}.a
			HINTS ${${prefix}_LIBRARY_DIRS}
			DOC "static archive of ${lib} (AUTOMATOR_STATIC_DEPS)")
		if(NOT AUTOMATOR_STATIC_${lib})
			message(WARNING "AUTOMATOR_STATIC_DEPS: no lib${lib}.a found (Debian "
				"ships it in the -dev package of ${module}): linking ${module} shared")
			set_property(GLOBAL APPEND PROPERTY AUTOMATOR_SHARED_DEPS ${module})
			set(${out} PkgConfig::${prefix} PARENT_SCOPE)
			return()
		endif()
		list(APPEND archives ${AUTOMATOR_STATIC_${lib}})
	endforeach()
	# what the archives need: the module's Libs.private, minus the module
	# itself, minus what is not installed (listed, not used: the link says so)
	set(needs)
	foreach(lib IN LISTS ${prefix}_STATIC_LIBRARIES)
		if(lib IN_LIST ${prefix}_LIBRARIES)
			continue()
		endif()
		find_library(AUTOMATOR_PRIVATE_${lib} NAMES ${lib}
			HINTS ${${prefix}_STATIC_LIBRARY_DIRS})
		if(AUTOMATOR_PRIVATE_${lib})
			list(APPEND needs ${lib})
		else()
			message(WARNING "AUTOMATOR_STATIC_DEPS: ${module} lists -l${lib}, "
				"which is not installed: left out")
		endif()
	endforeach()
	set(target automator_static_${prefix})
	add_library(${target} INTERFACE IMPORTED)
	target_include_directories(${target} INTERFACE ${${prefix}_STATIC_INCLUDE_DIRS})
	target_compile_options(${target} INTERFACE ${${prefix}_STATIC_CFLAGS_OTHER})
	target_link_libraries(${target} INTERFACE ${archives} ${needs} ${ARG_EXTRA})
	target_link_options(${target} INTERFACE "LINKER:--as-needed")
	set_property(GLOBAL APPEND PROPERTY AUTOMATOR_STATIC_ARCHIVES ${archives} ${needs})
	message(STATUS "AUTOMATOR_STATIC_DEPS: ${module} from ${archives}")
	set(${out} ${target} PARENT_SCOPE)
endfunction()

# au_static_pie(TARGET LIBS...): with AUTOMATOR_STATIC_PIE, links the
# executable TARGET as a static PIE, compiling it and LIBS (the static
# libraries it links) as position-independent code, once a test link of
# every archive with -static-pie has passed; else a warning and libc shared.
function(au_static_pie target)
	if(NOT AUTOMATOR_STATIC_PIE)
		return()
	endif()
	get_property(shared GLOBAL PROPERTY AUTOMATOR_SHARED_DEPS)
	if(AUTOMATOR_SANITIZE OR AUTOMATOR_FUZZ)
		message(WARNING "AUTOMATOR_STATIC_PIE: not with the sanitizers: libc shared")
		return()
	endif()
	if(shared)
		list(JOIN shared ", " shared)
		message(WARNING "AUTOMATOR_STATIC_PIE: ${shared} linked shared "
			"(AUTOMATOR_STATIC_DEPS): libc shared too")
		return()
	endif()
	get_property(archives GLOBAL PROPERTY AUTOMATOR_STATIC_ARCHIVES)
	include(CheckCSourceCompiles)
	set(CMAKE_REQUIRED_LINK_OPTIONS -static-pie)
	set(CMAKE_REQUIRED_FLAGS -fPIE)
	set(CMAKE_REQUIRED_LIBRARIES ${archives} m ${CMAKE_DL_LIBS} Threads::Threads)
	set(CMAKE_REQUIRED_QUIET ON)
	check_c_source_compiles([[
		const char *yaml_get_version_string(void);
		int pcre2_config_8(unsigned int, void *);
		const char *sqlite3_libversion(void);
		const char *jansson_version_str(void);
		int main(void)
		{
			return !yaml_get_version_string() + pcre2_config_8(0, 0) +
			       !sqlite3_libversion() + !jansson_version_str() < 0;
		}]] AUTOMATOR_CAN_STATIC_PIE)
	if(NOT AUTOMATOR_CAN_STATIC_PIE)
		message(WARNING "AUTOMATOR_STATIC_PIE: a test link with -static-pie failed "
			"(glibc's libc.a and rcrt1.o come with libc6-dev): libc shared")
		return()
	endif()
	set_property(TARGET ${target} ${ARGN} PROPERTY POSITION_INDEPENDENT_CODE ON)
	target_link_options(${target} PRIVATE -static-pie)
	message(STATUS "AUTOMATOR_STATIC_PIE: ${target} linked as a static PIE")
endfunction()
