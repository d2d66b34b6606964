# SPDX-License-Identifier: Apache-2.0
# make            build build/runner and the trace_dns program
# make run        install what is missing, build, store the trace_dns image, trace
# make check      install what is missing, build, run every test
# make check-asan the end-to-end tests against an ASan+UBSan build (E2E=files)
# make image      the node agent's OCI image (podman), see deploy/README.md
# make deps | bench | soak | fuzz | format | lint | clean  (SANITIZE=1 for ASan+UBSan)
# make install | uninstall   (PREFIX=/usr/local, DESTDIR= for staging)

BUILD     ?= build
CC        ?= gcc
CLANG     ?= clang
BPFTOOL   ?= bpftool
LLVM_STRIP ?= llvm-strip
STORE     ?=
ARGS      ?=

PKGS      := libbpf libelf yaml-0.1 jansson nettle libseccomp libcurl libarchive libcrypto libpcap \
	     libpcre2-8
# Loaded by the runner on first use (common/lazylib.h), by soname; linked
# into tests, fuzzers and bench tools that call them directly.
LAZY_PKGS := libcurl libarchive libcrypto libpcap libseccomp libpcre2-8
LAZY_LIBS := -lcurl -larchive -lcrypto -lpcap -lseccomp -lpcre2-8
soname     = $(shell objdump -p $$($(CC) -print-file-name=lib$(1).so 2>/dev/null) 2>/dev/null | \
	       sed -n 's/^ *SONAME *//p')
lazy_def   = $(if $(2),-DLAZY_SONAME_$(1)='"$(2)"')
LAZY_DEFS := $(call lazy_def,CURL,$(call soname,curl)) \
	     $(call lazy_def,ARCHIVE,$(call soname,archive)) \
	     $(call lazy_def,CRYPTO,$(call soname,crypto)) \
	     $(call lazy_def,PCAP,$(call soname,pcap)) \
	     $(call lazy_def,SECCOMP,$(call soname,seccomp)) \
	     $(call lazy_def,PCRE2,$(call soname,pcre2-8))
WARN      := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
	     -Wmissing-prototypes -Wundef -Wwrite-strings -Werror
CFLAGS    ?= -O2 -g
CFLAGS    += -std=gnu11 $(WARN) -I. -D_GNU_SOURCE
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lbpf -lelf -lz -lyaml -ljansson -lnettle -lseccomp -lcurl -larchive -lcrypto -lpcap -lpcre2-8)
LDLIBS    += $(PKG_LIBS)
RUNNER_LIBS = $(shell pkg-config --libs $(filter-out $(LAZY_PKGS),$(PKGS)) 2>/dev/null || \
	       echo -lbpf -lelf -lz -lyaml -ljansson -lnettle) -ldl -lpthread
# Locals never set read as 0xfe bytes (a pointer that faults) instead of
# what the stack held: a read of one fails the sanitized tests every time.
ifeq ($(SANITIZE),1)
CFLAGS    += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
	     -ftrivial-auto-var-init=pattern
LDFLAGS   += -fsanitize=address,undefined
endif

ARCH      := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
# <linux/types.h> needs <asm/types.h> from the host's multiarch folder.
MULTIARCH := $(shell uname -m)-linux-gnu
BPFCFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	     -Igadget/include -I$(BUILD)/include -idirafter /usr/include/$(MULTIARCH)

LIB_SRC    := $(wildcard common/*.c oci/*.c metadata/*.c) \
	      $(wildcard runner/engine/*.c) \
	      $(filter-out runner/cli/main.c,$(wildcard runner/cli/*.c))
LIB_OBJ    := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# The runner's own eBPF programs, embedded in it as libbpf skeletons.
RUNNER_BPF := $(wildcard runner/engine/bpf/*.bpf.c)
SKELS      := $(RUNNER_BPF:runner/engine/bpf/%.bpf.c=$(BUILD)/gen/%.skel.h)
# What the sources include from $(BUILD)/gen: the skeletons, and the bash
# completion script `runner completion bash` prints.
GEN_HDRS   := $(SKELS) $(BUILD)/gen/completion_bash.h
GADGETS    := $(patsubst %/program.bpf.c,%,$(wildcard gadget/*/program.bpf.c examples/*/program.bpf.c tests/fixtures/*/program.bpf.c))
GADGET_OBJ := $(GADGETS:%=$(BUILD)/%/program.bpf.o)

.PHONY: all deps run check check-asan unit unit-bin e2e bench soak bench-metrics fuzz fuzz-bin format format-check lint clean image \
	gadget-image install uninstall

all: $(BUILD)/runner $(GADGET_OBJ) $(UNIT_BIN)

deps:
	@tools/deps.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -I$(BUILD)/gen $(PKG_CFLAGS) -MMD -MP -c $< -o $@

# A source may include a skeleton: make them first (-MMD then tracks them).
$(LIB_OBJ) $(BUILD)/obj/runner/cli/main.o: | $(GEN_HDRS)

$(BUILD)/librunner.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# libbpf calls btf__load_vmlinux_btf(), bpf_prog_load() and
# bpf_prog_bind_map() through its PLT: the runner's own
# (runner/engine/btf_vmlinux.c, progpar.c) must be in its dynamic symbol
# table.
RUNNER_EXPORTS = -Wl,--export-dynamic-symbol=btf__load_vmlinux_btf \
	-Wl,--export-dynamic-symbol=bpf_prog_load \
	-Wl,--export-dynamic-symbol=bpf_prog_bind_map
LDFLAGS_test_progpar = $(RUNNER_EXPORTS)
# test_mbuf counts (and fails) the buffer's allocations.
LDFLAGS_test_mbuf = -Wl,--wrap=malloc,--wrap=realloc
# test_filter counts the regular expressions run and the name lists
# matched.
LDFLAGS_test_filter = -Wl,--wrap=filter_regex_match,--wrap=name_list_match
# test_fields_text counts the local times made.
LDFLAGS_test_fields_text = -Wl,--wrap=localtime_r
# test_cgroup2 counts the reads of mountinfo.
LDFLAGS_test_cgroup2 = -Wl,--wrap=fopen
# test_tmpdir removes a new folder before its maker opens it (a sweep).
LDFLAGS_test_tmpdir = -Wl,--wrap=open
# test_netns_call_in fails the setns() that comes back.
LDFLAGS_test_netns_call_in = -Wl,--wrap=setns
# test_stacks answers the stack map lookups and reads its own kallsyms.
LDFLAGS_test_stacks = -Wl,--wrap=gadget_map_fd,--wrap=bpf_map_lookup_elem \
	-Wl,--wrap=fopen
# test_pods counts the pod selections matched; it, test_containers and
# test_pod_labels move the clock past a busy containerd's back-off
# (tests/unit/containerd_fx.h).
LDFLAGS_test_pods = -Wl,--wrap=name_list_match,--wrap=clock_gettime
# test_containers also gives the fake /proc's namespaces the kernel's ids.
LDFLAGS_test_containers = -Wl,--wrap=clock_gettime,--wrap=ioctl
# test_oci_registry answers the registry client's requests itself.
LDFLAGS_test_oci_registry = -Wl,--wrap=registry_http_do
# test_registry_tls runs a TLS server of its own, and fails libcurl's
# getpeername() calls with its own (exported, as libcurl is dlopen'ed).
LDFLAGS_test_registry_tls = -Wl,--export-dynamic-symbol=getpeername
LDLIBS_test_registry_tls = -lssl -lcrypto -lpthread
# Tests that count or fail the library's allocations (tests/unit/alloc_fx.h);
# test_output_json: those of an event's way.
ALLOC_WRAP = -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc \
	-Wl,--wrap=strdup,--wrap=strndup
LDFLAGS_test_metadata = $(ALLOC_WRAP)
LDFLAGS_test_oci_store = $(ALLOC_WRAP)
LDFLAGS_test_output_json = $(ALLOC_WRAP)
LDFLAGS_test_pod_labels = $(ALLOC_WRAP) -Wl,--wrap=clock_gettime
LDFLAGS_test_metrics = $(ALLOC_WRAP)

$(BUILD)/runner: $(BUILD)/obj/runner/cli/main.o $(BUILD)/librunner.a
	$(CC) $(LDFLAGS) $(RUNNER_EXPORTS) -o $@ $^ $(RUNNER_LIBS)

$(BUILD)/obj/common/lazylib.o: CFLAGS += $(LAZY_DEFS)
$(BUILD)/fuzz/obj/common/lazylib.o: FUZZ_CFLAGS += $(LAZY_DEFS)

# common/heap.c's test measures glibc's allocator, which a sanitizer
# replaces: built without one, and with heap.c alone.
$(BUILD)/tests/test_heap: tests/unit/test_heap.c common/heap.c common/heap.h
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -fsanitize%,$(CFLAGS) $(LDFLAGS)) -o $@ $< \
		common/heap.c -lpthread -lcmocka

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/librunner.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) $(LDFLAGS_$*) -o $@ $< \
		$(BUILD)/librunner.a $(LDLIBS) $(LDLIBS_$*) -lcmocka

$(BUILD)/include/vmlinux.h:
	@mkdir -p $(dir $@)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp
	mv $@.tmp $@

# DWARF is stripped (BTF stays): the skeleton embeds the object.
$(BUILD)/bpf/%.bpf.o: runner/engine/bpf/%.bpf.c $(wildcard runner/engine/bpf/*.h) $(BUILD)/include/vmlinux.h
	@mkdir -p $(dir $@)
	$(CLANG) $(BPFCFLAGS) -I. -c $< -o $@.tmp
	$(LLVM_STRIP) -g $@.tmp -o $@
	@rm -f $@.tmp

$(BUILD)/gen/%.skel.h: $(BUILD)/bpf/%.bpf.o
	@mkdir -p $(dir $@)
	$(BPFTOOL) gen skeleton $< name $*_bpf > $@.tmp
	mv $@.tmp $@

# runner/cli/completion.bash as a C string (backslashes and quotes escaped).
$(BUILD)/gen/completion_bash.h: runner/cli/completion.bash
	@mkdir -p $(dir $@)
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $< > $@.tmp
	mv $@.tmp $@

# The same compile that `runner image build` runs, for a quick check.
$(BUILD)/%/program.bpf.o: %/program.bpf.c $(BUILD)/include/vmlinux.h $(wildcard gadget/include/gadget/*.h) \
			    $(wildcard gadget/*/*.h examples/*/*.h tests/fixtures/*/*.h)
	@mkdir -p $(dir $@)
	$(CLANG) $(BPFCFLAGS) -c $< -o $@

gadget-image: deps all
	@tools/asroot.sh $(BUILD)/runner image build gadget/trace_dns -t trace_dns:latest >&2

# The node agent's OCI image (podman, from this host's files): deploy/.
image: deps $(BUILD)/runner
	@tools/asroot.sh tools/agent-image.sh $(BUILD)

run: gadget-image
	@tools/asroot.sh $(BUILD)/runner run trace_dns $(ARGS)

# Unit tests run built with ASan+UBSan; end-to-end tests use the normal build.
check: deps
	@$(MAKE) --no-print-directory format-check
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/asan SANITIZE=1 unit-bin
	@$(MAKE) --no-print-directory fuzz-bin
	@UNIT_BUILD=$(BUILD)/asan tests/run.sh

unit-bin: $(UNIT_BIN)

# The tests load the gadgets' objects from $(BUILD) too.
unit: $(UNIT_BIN) $(GADGET_OBJ)
	@UNIT_BUILD=$(BUILD) tests/run.sh unit

e2e: all
	@tests/run.sh e2e

# End-to-end tests against the runner built with ASan+UBSan (slower, not in
# check): a test after which a runner wrote a sanitizer report fails
# (tests/e2e/harness.py).  E2E= names the files (default every one).
check-asan: deps
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/asan SANITIZE=1 all
	@BUILD=$(BUILD)/asan tests/run.sh e2e $(E2E)

bench: deps all $(BUILD)/bench/progrun
	@bench/run.sh

# 10 minutes at 20k queries/s: RSS, CPU and BPF time per sample (not in bench)
soak: deps all
	@bench/soak.sh

# The trace_dns socket filter alone, timed by BPF_PROG_TEST_RUN.
$(BUILD)/bench/progrun: bench/progrun.c bench/rodata.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

# What the verifier spends on each program of an object (BPF_LOG_STATS).
$(BUILD)/bench/verifcost: bench/verifcost.c bench/rodata.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

# What metrics add per event, on the runner's own code (no kernel).
$(BUILD)/bench/metrics_cost: bench/metrics_cost.c bench/trace_dns_events.h $(BUILD)/librunner.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/librunner.a $(LDLIBS)

# The runner's rendering of trace_dns events (no kernel): ns per event.
$(BUILD)/bench/render_cost: bench/render_cost.c bench/trace_dns_events.h $(BUILD)/librunner.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/librunner.a $(LDLIBS)

bench-metrics: all $(BUILD)/bench/metrics_cost
	@$(BUILD)/bench/metrics_cost

# libFuzzer targets: the library sources again, compiled by clang with
# coverage, ASan and UBSan (librunner.a is gcc-built, without coverage).
FUZZ_SRC    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN    := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_OBJ    := $(LIB_SRC:%.c=$(BUILD)/fuzz/obj/%.o)
FUZZ_CFLAGS := -std=gnu11 -g -O1 -I. -D_GNU_SOURCE $(filter-out -Werror,$(WARN)) \
	       -fno-omit-frame-pointer -fsanitize=address,undefined \
	       -fno-sanitize-recover=undefined

$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -I$(BUILD)/gen -fsanitize=fuzzer-no-link \
		$(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(FUZZ_OBJ): | $(GEN_HDRS)

$(BUILD)/fuzz/libfuzz.a: $(FUZZ_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) $(BUILD)/fuzz/libfuzz.a
	$(CLANG) $(FUZZ_CFLAGS) -Werror -fsanitize=fuzzer $(PKG_CFLAGS) -o $@ \
		$< $(BUILD)/fuzz/libfuzz.a $(LDLIBS)

fuzz-bin: $(FUZZ_BIN)

fuzz: deps
	@BUILD=$(BUILD) tests/fuzz/run.sh

# The binary, its man page, bash completion, and what `runner image build`
# finds next to an installed binary: the gadget API headers and vmlinux.h.
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DATADIR     ?= $(PREFIX)/share/runner
API_HDRS    := $(notdir $(wildcard gadget/include/gadget/*.h))

install: $(BUILD)/runner $(BUILD)/include/vmlinux.h
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(DATADIR)/include/gadget
	install -m 0755 $(BUILD)/runner $(DESTDIR)$(BINDIR)/runner
	install -m 0644 docs/runner.1 $(DESTDIR)$(MANDIR)/man1/runner.1
	install -m 0644 runner/cli/completion.bash $(DESTDIR)$(BASHCOMPDIR)/runner
	install -m 0644 $(API_HDRS:%=gadget/include/gadget/%) \
		$(DESTDIR)$(DATADIR)/include/gadget/
	install -m 0644 $(BUILD)/include/vmlinux.h $(DESTDIR)$(DATADIR)/include/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/runner $(DESTDIR)$(MANDIR)/man1/runner.1 \
		$(DESTDIR)$(BASHCOMPDIR)/runner \
		$(API_HDRS:%=$(DESTDIR)$(DATADIR)/include/gadget/%) \
		$(DESTDIR)$(DATADIR)/include/vmlinux.h
	rmdir $(DESTDIR)$(DATADIR)/include/gadget $(DESTDIR)$(DATADIR)/include \
		$(DESTDIR)$(DATADIR) 2>/dev/null || true

format:
	clang-format -i $(shell git ls-files '*.c' '*.h')

format-check:
	@clang-format --dry-run --Werror $(shell git ls-files '*.c' '*.h')

# cppcheck's bug checks (not its style ones), the runner's C and the eBPF
# programs apart (their include paths); what it reports wrongly here is in
# tools/cppcheck.supp.  In check: see docs/CONVENTIONS.md.
CPPCHECK := cppcheck --std=c11 -q --error-exitcode=1 --inconclusive \
	    --enable=warning,portability --template=gcc \
	    --library=tools/cppcheck.cfg --suppressions-list=tools/cppcheck.supp \
	    --suppress=missingIncludeSystem

lint: deps $(GEN_HDRS)
	$(CPPCHECK) -I. -I$(BUILD)/gen -D_GNU_SOURCE -D__$(shell uname -m)__ \
		common oci metadata runner/engine/*.c runner/cli
	$(CPPCHECK) --suppress=missingInclude -I. -Igadget/include \
		-D__TARGET_ARCH_$(ARCH) -D__bpf__ runner/engine/bpf gadget/trace_dns

clean:
	rm -rf $(BUILD)

-include $(LIB_OBJ:.o=.d) $(BUILD)/obj/runner/cli/main.d $(FUZZ_OBJ:.o=.d)
