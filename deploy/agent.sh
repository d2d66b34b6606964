#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The node agent's entrypoint: run a gadget, JSON lines on stdout (what a
# cluster's log pipeline collects).  The gadget and its flags come from
# the arguments, else from $RUNNER_GADGET and $RUNNER_FLAGS (the
# DaemonSet's ConfigMap).  $RUNNER_FLAGS is split on white space.
if [ $# -eq 0 ]; then
	if [ -z "${RUNNER_GADGET:-}" ]; then
		echo "agent: no gadget: give one as arguments or set RUNNER_GADGET" >&2
		exit 2
	fi
	# shellcheck disable=SC2086
	set -- "$RUNNER_GADGET" ${RUNNER_FLAGS:-}
fi
exec /usr/bin/runner run -o json "$@"
