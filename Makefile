# The README's commands: `make run`, `make test`, `make submit`. Each sets up .venv first when needed.
# Maintainers record results with `make results` and `make bench`.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.setup-stamp

.PHONY: setup data run test lint bench submit release autograder clean

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

# Execute the whole worksheet headless, in place, saving its outputs, and print its time
# (benchmarks/record_run.py holds the exact nbconvert command). It changes only the notebook and
# the weights it exports to cs231n/saved/.
run: data
	$(BIN)/python benchmarks/record_run.py

.PHONY: results test-busy

# For maintainers: run the worksheet as `make run` does, then record the run: its time and key
# results in benchmarks/results/notebook_run.json, the README's Results section made from it,
# and the docs/ picture of learned weights.
results: data
	$(BIN)/python benchmarks/record_run.py --record

# The whole test suite, the notebook executed in fast mode included.
test: $(STAMP)
	$(BIN)/python -m pytest

# The whole test suite with one, then two cores kept busy by spinning processes that
# tests/run_busy.sh starts and stops itself, with no retries: no verdict may depend on the load.
test-busy: $(STAMP)
	@status=0; for busy in 1 2; do bash tests/run_busy.sh $$busy || status=1; done; exit $$status

lint: $(STAMP)
	$(BIN)/ruff check .

# For maintainers: every benchmark runs with --record (each writes benchmarks/results/<name>.json;
# run by hand without it, a benchmark writes nothing), even if an earlier one misses its goal;
# the tables of docs/benchmarks.md are then regenerated from benchmarks/results/, and the target
# fails if any goal was missed.
BENCHMARKS := loss sgd data scaling search accuracy
bench: $(STAMP)
	@status=0; for name in $(BENCHMARKS); do \
		echo "==> benchmarks/bench_$$name.py --record"; \
		$(BIN)/python benchmarks/bench_$$name.py --record || status=1; \
	done; \
	$(BIN)/python benchmarks/results.py; exit $$status

submit: $(STAMP)
	bash collectSubmission.sh

# The student release, built from this solution: dist/assignment1-softmax/ (see docs/release.md).
release: $(STAMP)
	$(BIN)/python -m cs231n_staff.release dist/assignment1-softmax
	$(BIN)/python -m pytest -q tests/test_release.py

# The Gradescope autograder bundle: dist/autograder.zip (see docs/gradescope.md). The staff
# secret is $$CS231N_GRADER_SECRET when set, else a fresh random one.
autograder: $(STAMP)
	$(BIN)/python -m cs231n_staff.autograder dist/autograder.zip

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache a1_code_submission.zip a1_inline_submission.pdf
