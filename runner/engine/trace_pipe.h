/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ig's --trace-pipe: the kernel's trace pipe (what bpf_printk() writes)
 * read on a thread while a gadget runs, each line said through the
 * engine's log (a notice: stderr).  The trace pipe is the kernel's one,
 * shared by every program that writes to it, and reading it consumes it,
 * as in ig.
 */
#ifndef RUNNER_TRACE_PIPE_H
#define RUNNER_TRACE_PIPE_H

#include "common/error.h"

struct trace_pipe;

/* Open the trace pipe (tracefs mounted when nothing is there) and start
 * reading it. */
int trace_pipe_start(struct trace_pipe **out, struct error **err);
/* Stop reading (the lines read so far said) and close; accepts NULL. */
void trace_pipe_stop(struct trace_pipe *tp);

#endif
