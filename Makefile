# Two commands from a fresh clone: `make run` (the demo at http://127.0.0.1:8000/) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test install lint browser demo-data clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

# Debian's Chromium drives the browser tests; Playwright cannot download its own browser here.
# WeasyPrint (PDF documents) needs Pango and the Noto fonts for names in Hangul, Chinese and Arabic.
SYSTEM_PACKAGES := chromium fonts-noto-cjk fonts-noto-core libpango-1.0-0 libpangoft2-1.0-0
browser:
	@{ command -v chromium >/dev/null 2>&1 && fc-list | grep -qi "Noto Sans CJK" && fc-list | grep -qi "Noto Sans Arabic"; } || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's chromium, Pango and the Noto fonts for the browser tests and PDFs…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	  else \
	    echo "The browser tests and PDFs need: sudo apt-get install $(SYSTEM_PACKAGES)"; exit 1; \
	  fi; }

demo-data: install
	DEBUG=true $(BIN)/python manage.py migrate --noinput
	DEBUG=true $(BIN)/python manage.py load_demo

run: demo-data
	DEBUG=true ./scripts/run-demo

# One pytest worker per CPU (pytest-xdist); PYTEST_WORKERS=0 runs the suite in one process.
PYTEST_WORKERS ?= auto
test: install browser
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var staticfiles
