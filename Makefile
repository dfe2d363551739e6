# hybridfw — set-up, demo, tests. Needs only Python 3.11+ and access to the package registries.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# pytest with bytecode caches (gitignored __pycache__) even where PYTHONDONTWRITEBYTECODE is set:
# without them every run (each xdist worker, each CLI subprocess) compiles the tests and src anew.
PYTEST := PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest
# Debian packages the tests and benchmarks drive for real (installed when missing and root).
DEBS   := nftables iptables iproute2 wrk nginx-light chromium openssl postfix unbound ipset systemd

.PHONY: demo test test-fast docs lint typecheck bench system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[test]'
	touch $@

system-deps:
	@missing=""; \
	command -v nft >/dev/null || missing="$$missing nftables"; \
	command -v iptables-restore >/dev/null || missing="$$missing iptables"; \
	command -v ip >/dev/null || missing="$$missing iproute2"; \
	command -v wrk >/dev/null || missing="$$missing wrk"; \
	command -v nginx >/dev/null || missing="$$missing nginx-light"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v openssl >/dev/null || missing="$$missing openssl"; \
	command -v postfix >/dev/null || missing="$$missing postfix"; \
	command -v unbound >/dev/null || missing="$$missing unbound"; \
	command -v ipset >/dev/null || missing="$$missing ipset"; \
	command -v systemd-analyze >/dev/null || missing="$$missing systemd"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "note: missing system tools:$$missing (tests that need them will fail)"; \
	  fi; \
	fi

demo: $(STAMP)
	HYBRIDFW_HOME=$(CURDIR)/.demo-home $(BIN)/hybridfw check --topology examples/hybrid.toml \
	  --firewall examples/stale-firewall.rules --firewall examples/stale-firewall6.rules \
	  --html $(CURDIR)/.demo-home/report.html; echo "exit code: $$? (1 = problems found: the stale firewall)"

test: $(STAMP) system-deps
	$(PYTEST) -n 2 -q

# The daily tier: everything but the tests marked slow, root, browser or server (under a minute).
test-fast: $(STAMP)
	$(PYTEST) -n 2 -q -m "not slow and not root and not browser and not server"

# The user guide as a site on http://127.0.0.1:8000 (the test suite builds it with --strict).
docs: $(STAMP)
	$(BIN)/mkdocs serve

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python tools/check_imports.py
	$(BIN)/vulture
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy src

bench: $(STAMP) system-deps
	for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .demo-home site dist build .pytest_cache .mypy_cache .ruff_cache
