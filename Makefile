# The README's two commands are `make run` and `make test`; both set up .venv first when needed.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.setup-stamp

.PHONY: setup run test lint bench submit clean

setup: $(STAMP)

$(STAMP): setup_env.sh requirements.txt pyproject.toml
	bash setup_env.sh

# Execute the whole worksheet headless, in place, saving its outputs. The options keep volatile
# timing metadata out, and merge each cell's consecutive prints, applying carriage returns, so a
# progress bar is saved in its final state (as a notebook front end shows it).
run: $(STAMP)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.record_timing=False \
		--Exporter.preprocessors=nbconvert.preprocessors.CoalesceStreamsPreprocessor \
		softmax.ipynb

# The whole test suite, the notebook executed in fast mode included.
test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_loss.py
	$(BIN)/python benchmarks/bench_sgd.py
	$(BIN)/python benchmarks/bench_data.py

submit: $(STAMP)
	bash collectSubmission.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache a1_code_submission.zip a1_inline_submission.pdf
