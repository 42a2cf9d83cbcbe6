# Two commands do all the set-up on a fresh machine with only Python 3.11+ and make:
#   make run    runs the workshop (default CoSIE agenda, embedded TinyDB store)
#   make test   runs the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
AGENDA ?= sessions/relational-service.toml
ARGS   ?=

.PHONY: install run serve test bench docs-screens clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	touch $@

run: install
	$(BIN)/facilitation-kit run $(AGENDA) $(ARGS)

serve: install
	$(BIN)/facilitation-kit serve $(AGENDA) --headless $(ARGS)

test: install
	$(BIN)/python -m pytest $(ARGS)

bench: install
	$(BIN)/python -m bench $(ARGS)

# Every picture in docs/: the activities' phone forms, the app's views and report sections
# from a scripted workshop (tests/docs_screens.py; ARGS=--no-suggest skips the theme
# suggestion), and the room's screen views taken by its Chromium tests.
docs-screens: install
	$(BIN)/python -m tests.docs_screens $(ARGS)
	CI=true $(BIN)/python -m pytest -q -p no:cacheprovider tests/browser/test_screen.py tests/browser/test_screen_languages.py \
		tests/browser/test_participant_page.py tests/browser/test_step_screens.py
	$(BIN)/python tests/browser/docs_screens.py

clean:
	rm -rf $(VENV) build dist *.egg-info
