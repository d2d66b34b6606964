# SPDX-License-Identifier: Apache-2.0
# bash completion for runner(1).
#
# The candidates come from the runner binary itself: `runner __complete
# WORD... CURRENT` reads the same command and flag tables the CLI parses,
# the local image store (--store, $RUNNER_STORE) and, after `run IMAGE`,
# the image's gadget flags.  A ":files" line asks for file names.

_runner()
{
	local cur words cword line files=
	if declare -F _get_comp_words_by_ref >/dev/null 2>&1; then
		# bash-completion: keep "name:tag" and "--flag=value" whole
		_get_comp_words_by_ref -n =: cur words cword
	else
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
		cur=${COMP_WORDS[COMP_CWORD]}
	fi
	COMPREPLY=()
	while IFS= read -r line; do
		case $line in
		'') ;;
		:files) files=1 ;;
		*) COMPREPLY+=("$line") ;;
		esac
	done < <("${words[0]}" __complete "${words[@]:1:cword}" 2>/dev/null)
	if [[ $files ]]; then
		compopt -o filenames 2>/dev/null
		while IFS= read -r line; do
			COMPREPLY+=("$line")
		done < <(compgen -f -- "$cur")
	fi
	# bash splits words at ':': offer only what follows the last one
	if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then
		local colon=${cur%"${cur##*:}"} i
		for i in "${!COMPREPLY[@]}"; do
			COMPREPLY[i]=${COMPREPLY[i]#"$colon"}
		done
	fi
}

complete -F _runner runner
