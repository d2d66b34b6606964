/* SPDX-License-Identifier: Apache-2.0 */
/* The runner's version, defined once: the CLI prints it, image builds record it. */
#ifndef COMMON_VERSION_H
#define COMMON_VERSION_H

#define RUNNER_VERSION "0.2.0"

#endif
