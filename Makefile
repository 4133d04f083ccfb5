# spaceport - offline Confluence Server space export -> Cloud converter.
#
#   make            build bin/spaceport-{extract,convert,pack}
#   make check      build and run every test (unit + end-to-end, via prove)
#   make demo       run the pipeline on the bundled export and show the result
#   make bench      benchmark (bench/run; BENCH_SIZES=smoke,100M,1G)
#   make sanitize   build with ASan+UBSan into build-asan/ and run the suite
#   make regress    every fuzz harness over its seeds and saved reproducers
#                   (tests/fuzz; any C compiler, seconds; part of check)
#   make fuzz       regress, then FUZZ_TIME seconds of libFuzzer per harness
#                   (needs clang; tests/fuzz/README.md)
#   make install    PREFIX=/usr/local DESTDIR=
#   make deps       install the Debian packages the build and tests need
#                   (check and demo do it themselves when something is missing)

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
BUILD	?= build
OUT	?= bin

CC	?= cc
PKGS	 = libarchive libxml-2.0 sqlite3 zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS	?= -O2 -g
WARN	 = -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
	   -Wmissing-prototypes -Wno-unused-parameter
CPPFLAGS += -std=c11 -D_GNU_SOURCE -Icommon $(PKG_CFLAGS)
ALL_CFLAGS = $(CPPFLAGS) $(WARN) -pthread $(CFLAGS)
LDLIBS	+= $(PKG_LIBS) -pthread

# make V=1 shows the full command lines.
ifeq ($(V),1)
Q	=
else
Q	= @
endif

COMMON_SRC := $(sort $(wildcard common/*.c))
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/macro_compat.o
PROGS	 = extract convert pack
BINS	 = $(PROGS:%=$(OUT)/spaceport-%)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNITS	 = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/unit/%)

all: $(BINS)

$(BUILD)/%.o: %.c $(wildcard common/*.h) $(wildcard */*.h)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The macro compatibility table, compiled in from its data file
# (common/macrocompat.h).
$(BUILD)/gen/macro_compat.c: data/macro-compat.tsv tools/gen-macro-compat
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)tools/gen-macro-compat data/macro-compat.tsv >$@.tmp && mv $@.tmp $@

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c common/macrocompat.h
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libspaceport.a: $(COMMON_OBJ)
	@rm -f $@
	$(Q)$(AR) rcs $@ $(COMMON_OBJ)

define prog_rule
$(1)_SRC := $$(sort $$(wildcard $(1)/*.c))
$(1)_OBJ := $$($(1)_SRC:%.c=$(BUILD)/%.o)
$(OUT)/spaceport-$(1): $$($(1)_OBJ) $(BUILD)/libspaceport.a
	@mkdir -p $(OUT)
	@$$(if $$(Q),echo "  LD      $$@")
	$$(Q)$$(CC) $$(CFLAGS) $$(LDFLAGS) -o $$@ $$($(1)_OBJ) $(BUILD)/libspaceport.a $$(LDLIBS)
endef
$(foreach p,$(PROGS),$(eval $(call prog_rule,$(p))))

# Unit tests link the common library plus the program objects they test
# (all objects of every program except its main.o).
PROG_LIB_OBJ = $(filter-out %/main.o,$(extract_OBJ) $(convert_OBJ) $(pack_OBJ))
$(BUILD)/unit/%: tests/unit/%.c tests/unit/tap.h $(PROG_LIB_OBJ) $(BUILD)/libspaceport.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC/LD   $@")
	$(Q)$(CC) $(ALL_CFLAGS) -Iextract -Iconvert -Ipack $(LDFLAGS) -o $@ $< $(PROG_LIB_OBJ) $(BUILD)/libspaceport.a $(LDLIBS)

units: $(UNITS)

# check and demo first make sure the Debian packages are there, then
# re-run make so that pkg-config is asked after any install.
check:
	@tools/ensure-deps
	@$(MAKE) --no-print-directory all units
	prove -f $(UNITS) tests/*.t
	@$(MAKE) --no-print-directory -C tests/fuzz regress

regress:
	@$(MAKE) --no-print-directory -C tests/fuzz regress

FUZZ_TIME ?= 30
fuzz:
	@$(MAKE) --no-print-directory -C tests/fuzz ci CI_TIME=$(FUZZ_TIME)

demo:
	@tools/ensure-deps
	@$(MAKE) --no-print-directory all
	@sh tests/demo.sh

BENCH_SIZES ?= smoke,100M,xmlheavy
bench: all
	BENCH_SIZES='$(BENCH_SIZES)' bench/run

sanitize:
	$(MAKE) BUILD=build-asan OUT=build-asan/bin \
	    CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    LDFLAGS="-fsanitize=address,undefined" all units
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    SPACEPORT_BIN=$(CURDIR)/build-asan/bin prove -f $(UNITS:$(BUILD)/%=build-asan/%) tests/*.t

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(BINS) $(DESTDIR)$(BINDIR)/
	install -m 0644 man/*.1 $(DESTDIR)$(MANDIR)/man1/

deps:
	tools/ensure-deps

lint-man:
	mandoc -Tlint -W warning man/*.[1-9]

clean:
	rm -rf $(BUILD) build-asan $(OUT)

.PHONY: all units check regress fuzz demo bench sanitize install deps \
	lint-man clean

# valgrind over the pipeline on a real fixture (leaks and errors fail).
VG = valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
valgrind: all
	sh tests/valgrind.sh "$(VG)"

.PHONY: valgrind
