# The README's commands: `make run`, `make test`, `make submit`. Each sets up .venv first when needed.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.setup-stamp

.PHONY: setup data run test lint bench submit release clean

# Code and tools, then CIFAR-10 (unless SKIP_DATA=1, as in CI).
setup: $(STAMP)
ifneq ($(SKIP_DATA),1)
setup: data
endif

# The stamp records the code setup only; the data has its own target, checked on every run.
$(STAMP): setup_env.sh requirements.txt pyproject.toml
	SKIP_DATA=1 bash setup_env.sh

# CIFAR-10 into cs231n/datasets/cifar-10-batches-py whenever it is missing (a no-op when it is
# there). Offline: make data SOURCE=/path/to/cifar-10-python.tar.gz (or a cifar-10-batches-py
# folder). A failure stops here, before anything that needs the data.
data: $(STAMP)
	@$(BIN)/python -m cs231n.datasets $(if $(SOURCE),--source "$(SOURCE)") || { \
		echo "" >&2; \
		echo "make: CIFAR-10 could not be fetched (error above); nothing was run." >&2; \
		echo "  Without internet, use a copy you have:" >&2; \
		echo "    make data SOURCE=/path/to/cifar-10-python.tar.gz" >&2; \
		echo "    make data SOURCE=/path/to/cifar-10-batches-py" >&2; \
		exit 1; }

# Execute the whole worksheet headless, in place, saving its outputs (benchmarks/record_run.py
# holds the exact nbconvert command), then record its time and key results in
# benchmarks/results/notebook_run.json and the README's Results section.
run: data
	$(BIN)/python benchmarks/record_run.py

# The whole test suite, the notebook executed in fast mode included.
test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

# Every benchmark runs even if an earlier one misses its goal; the README's speed tables are then
# regenerated from benchmarks/results/, and the target fails if any goal was missed.
BENCHMARKS := loss sgd data scaling search accuracy
bench: $(STAMP)
	@status=0; for name in $(BENCHMARKS); do \
		echo "==> benchmarks/bench_$$name.py"; \
		$(BIN)/python benchmarks/bench_$$name.py || status=1; \
	done; \
	$(BIN)/python benchmarks/results.py; exit $$status

submit: $(STAMP)
	bash collectSubmission.sh

# The student release, built from this solution: dist/assignment1-softmax/ (see docs/release.md).
release: $(STAMP)
	$(BIN)/python -m cs231n_staff.release dist/assignment1-softmax
	$(BIN)/python -m pytest -q tests/test_release.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache a1_code_submission.zip a1_inline_submission.pdf
