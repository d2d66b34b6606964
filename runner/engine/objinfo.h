/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What ig's `image inspect --extra-info` says of a gadget's eBPF object,
 * read from the ELF without loading it; and whether libbpf may open it.
 */
#ifndef RUNNER_ENGINE_OBJINFO_H
#define RUNNER_ENGINE_OBJINFO_H

#include <stddef.h>

#include <jansson.h>

#include "common/error.h"

/*
 * ig's ebpf.sections: every ELF section's name in section order, the
 * null section's "" first, as a JSON array (the caller's); NULL + err.
 */
json_t *objinfo_sections(const void *elf, size_t len, struct error **err);

/*
 * ig's ebpf.maps: [{"Name", "Type"}] with cilium/ebpf's type names, the
 * maps of .maps then the data sections but .rodata and .bss.
 */
json_t *objinfo_maps(const void *elf, size_t len, struct error **err);

/*
 * ig's ebpf.variables: [{"Name", "Offset", "Size", "Map"}], the global
 * symbols of the data sections (.data*, .rodata*, .bss).
 */
json_t *objinfo_variables(const void *elf, size_t len, struct error **err);

/*
 * ig's ebpf.programs: [{"Section", "Source", "SourceWithRelocation"}],
 * each program (a global function of an executable section but .text)
 * with the functions it calls after it, as cilium/ebpf's loader and
 * disassembler show them, in ELF order.
 */
json_t *objinfo_programs(const void *elf, size_t len, struct error **err);

/*
 * ig's ebpf.flowchart: a mermaid flowchart ("flowchart LR") of the maps of
 * ebpf.maps, then each program (by name) with an edge per map helper it
 * calls ("Lookup+Update", "EventOutput") to the map the call acts on;
 * a JSON string (text, not checked UTF-8).
 */
json_t *objinfo_flowchart(const void *elf, size_t len, struct error **err);

/*
 * ig's ebpf.sequence: the same accesses as a mermaid sequence diagram,
 * one message per access, programs and maps as participants.
 */
json_t *objinfo_sequence(const void *elf, size_t len, struct error **err);

/*
 * 0 when the eBPF object holds together as libbpf 1.1's open and load
 * take for granted (sections, symbols, relocations, .BTF and .BTF.ext in
 * bounds and of each other); else -1 + err naming the first flaw.  Call
 * it before bpf_object__open_mem() of an untrusted object.
 */
int objinfo_check(const void *elf, size_t len, struct error **err);

#endif
