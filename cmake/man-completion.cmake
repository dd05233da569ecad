# SPDX-License-Identifier: MIT
# man-completion.cmake: the man pages (man/*.scd through scdoc) and the
# shell completions (written by the built binary from its command tables:
# `automator completion bash|zsh|fish`), built with `all` and installed to
# the standard directories.
option(AUTOMATOR_MAN "Build and install the man pages (needs scdoc)" ON)
if(AUTOMATOR_MAN)
	find_program(SCDOC_EXE scdoc)
	if(NOT SCDOC_EXE)
		message(FATAL_ERROR "scdoc not found: install it (scripts/install-deps.sh) "
			"or configure with -DAUTOMATOR_MAN=OFF")
	endif()
	file(GLOB MAN_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/man/*.scd)
	set(MAN_PAGES "")
	foreach(src ${MAN_SOURCES})
		get_filename_component(page ${src} NAME_WLE) # automator.1
		string(REGEX MATCH "[0-9]$" section ${page})
		set(out ${CMAKE_BINARY_DIR}/man/${page})
		add_custom_command(OUTPUT ${out}
			COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
			COMMAND ${SCDOC_EXE} < ${src} > ${out}
			DEPENDS ${src} VERBATIM)
		list(APPEND MAN_PAGES ${out})
		install(FILES ${out} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
	endforeach()
	add_custom_target(man ALL DEPENDS ${MAN_PAGES})
endif()

set(COMPLETION_DIR ${CMAKE_BINARY_DIR}/completion)
set(COMPLETIONS
	${COMPLETION_DIR}/automator.bash
	${COMPLETION_DIR}/_automator
	${COMPLETION_DIR}/automator.fish)
add_custom_command(OUTPUT ${COMPLETIONS}
	COMMAND ${CMAKE_COMMAND} -E make_directory ${COMPLETION_DIR}
	COMMAND $<TARGET_FILE:automator> completion bash > ${COMPLETION_DIR}/automator.bash
	COMMAND $<TARGET_FILE:automator> completion zsh > ${COMPLETION_DIR}/_automator
	COMMAND $<TARGET_FILE:automator> completion fish > ${COMPLETION_DIR}/automator.fish
	DEPENDS automator VERBATIM)
add_custom_target(completion ALL DEPENDS ${COMPLETIONS})
# bash loads a completion by the command's name: orchestrator-helper gets the
# same file (it completes by the name it was called with)
install(FILES ${COMPLETION_DIR}/automator.bash
	DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME automator)
install(FILES ${COMPLETION_DIR}/automator.bash
	DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
	RENAME orchestrator-helper)
install(FILES ${COMPLETION_DIR}/_automator
	DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/site-functions)
install(FILES ${COMPLETION_DIR}/automator.fish
	DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d)
install(FILES ${COMPLETION_DIR}/automator.fish
	DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d
	RENAME orchestrator-helper.fish)
