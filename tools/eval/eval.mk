# SPDX-License-Identifier: GPL-2.0
#
# tools/eval/eval.mk - `make eval`, included by the top-level Makefile.
#
# Replays every trace through precopy-sim's algorithms: the generated
# workload families (tools/eval/gen, made by `make eval-traces` into
# $(EVAL_CACHE), not committed), the real programs of tests/data/corpus/
# and tests/data/holdout/, and the workload VM's tests/data/vm/; scores
# the model's predictions, and writes docs/EVALUATION.md with its plots
# and data in docs/eval/. tools/eval/run-eval says what it does;
# EVAL_JOBS runs that many simulations at once. tools/eval/score is the
# quick form for one split (see tools/eval/score --help).

EVAL_JOBS ?= 2
EVAL_ARGS ?=
EVAL_CACHE ?= $(CACHE)/eval-traces

.PHONY: eval eval-traces

## eval-traces: generate the workload families' traces (cached in .cache/eval-traces)
eval-traces: $(OUT)/tools/eval-gen
	$(Q)$(OUT)/tools/eval-gen --cache $(EVAL_CACHE) --split all --jobs $(EVAL_JOBS)

## eval: replay all traces through every algorithm; writes docs/EVALUATION.md
eval: $(OUT)/.deps-ok $(OUT)/bin/precopy-sim eval-traces
	$(Q)OUT=$(OUT) EVAL_JOBS=$(EVAL_JOBS) EVAL_CACHE=$(EVAL_CACHE) tools/eval/run-eval $(EVAL_ARGS)
