# isacd — build, run, test.
#
#   make            release build (build/release/isacd)
#   make run        install deps, build, start ./var PostgreSQL, migrate, seed demo, serve
#   make test       install deps, build, unit tests, e2e tests against a real PostgreSQL,
#                   then the dashboard's browser tests (headless Debian chromium)
#   make san        ASan+UBSan build (build/san/isacd); `make test SAN=1` runs the suite on it
#   make bench      benchmarks with printed figures
#   make lint       clang-format check and cppcheck
#   make clean
#
# CC=clang works as well as the default gcc.

CC      ?= cc
PY      := /usr/bin/python3
PKGS    := libmicrohttpd libpq jansson libsodium libcurl
ifeq ($(SAN),1)
MODE    := san
else
MODE    := release
endif
B       := build/$(MODE)

CFLAGS_COMMON := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wformat=2 \
                 -Wstrict-prototypes -Wmissing-prototypes -Iinclude -MMD -MP
ifeq ($(MODE),san)
CFLAGS_MODE := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS_MODE := -fsanitize=address,undefined
else
CFLAGS_MODE := -O2 -g -D_FORTIFY_SOURCE=2 -fstack-protector-strong
LDFLAGS_MODE :=
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS  += $(CFLAGS_COMMON) $(CFLAGS_MODE) $(PKG_CFLAGS)
LDLIBS  += $(PKG_LIBS) -lpthread
LDFLAGS += $(LDFLAGS_MODE)

SRC      := $(wildcard server/*.c)
MIGRATIONS := $(sort $(wildcard migrations/*.sql))
WEB      := $(sort $(wildcard web/*))
OBJ      := $(SRC:server/%.c=$(B)/obj/%.o) $(B)/obj/embedded_migrations.o \
            $(B)/obj/embedded_web.o
LIBOBJ   := $(filter-out $(B)/obj/main.o,$(OBJ))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/%)

.PHONY: all deps run test unit unit-bins e2e browser san bench lint fmt clean

all: $(B)/isacd

deps:
	@deploy/install-deps.sh

$(B)/obj/%.o: server/%.c | $(B)/obj
	$(CC) $(CFLAGS) -c -o $@ $<

$(B)/obj:
	@mkdir -p $@

$(B)/gen/embedded_migrations.c: $(MIGRATIONS) deploy/embed.sh
	@mkdir -p $(@D)
	deploy/embed.sh embed_migrations $@ $(MIGRATIONS)

$(B)/obj/embedded_migrations.o: $(B)/gen/embedded_migrations.c | $(B)/obj
	$(CC) $(CFLAGS) -c -o $@ $<

# the dashboard (web/*), served from the binary at /dashboard/
$(B)/gen/embedded_web.c: $(WEB) deploy/embed.sh
	@mkdir -p $(@D)
	deploy/embed.sh embed_web $@ $(WEB)

$(B)/obj/embedded_web.o: $(B)/gen/embedded_web.c | $(B)/obj
	$(CC) $(CFLAGS) -c -o $@ $<

$(B)/isacd: $(OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/test_%: tests/unit/test_%.c $(LIBOBJ)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags cmocka 2>/dev/null) $(LDFLAGS) -o $@ $< $(LIBOBJ) \
		$(LDLIBS) $(shell pkg-config --libs cmocka 2>/dev/null)

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do ./$$t; done

e2e: $(B)/isacd
	ISACD_BIN=$(CURDIR)/$(B)/isacd PY=$(PY) tests/e2e/run.sh

# dashboard tests: playwright-core driving Debian's /usr/bin/chromium (never a downloaded browser)
browser: $(B)/isacd
	@deploy/install-deps.sh --browser
	@[ tests/browser/node_modules/.package-lock.json -nt tests/browser/package-lock.json ] || \
		(cd tests/browser && npm ci --no-audit --no-fund)
	ISACD_BIN=$(CURDIR)/$(B)/isacd PY=$(PY) tests/browser/run.sh

san:
	$(MAKE) SAN=1 all

run: deps
	@$(MAKE) --no-print-directory all
	@deploy/run-demo.sh $(B)/isacd

test: deps
	@$(MAKE) --no-print-directory all unit-bins
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory e2e
	@$(MAKE) --no-print-directory browser

unit-bins: $(UNIT_BIN)

bench: deps
	@$(MAKE) --no-print-directory all
	ISACD_BIN=$(CURDIR)/$(B)/isacd PY=$(PY) tests/bench/run.sh

lint:
	@deploy/install-deps.sh --lint
	clang-format --dry-run --Werror server/*.c include/*.h tests/unit/*.c
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability --inline-suppr \
		--suppress=missingIncludeSystem -Iinclude server/

fmt:
	clang-format -i server/*.c include/*.h tests/unit/*.c

clean:
	rm -rf build

-include $(OBJ:.o=.d)
