# SPDX-License-Identifier: GPL-2.0
#
# tools/eval/eval.mk - `make eval`, included by the top-level Makefile.
#
# Replays every trace found at run time in tests/data/corpus/ (real
# programs) and tests/data/vm/ (the workload VM) through precopy-sim's
# algorithms, scores the model's predictions, and writes docs/EVALUATION.md
# with its plots and data in docs/eval/. tools/eval/run-eval says what it
# does; EVAL_JOBS runs that many simulations at once.

EVAL_JOBS ?= 2
EVAL_ARGS ?=

.PHONY: eval

## eval: replay all traces through every algorithm; writes docs/EVALUATION.md
eval: $(OUT)/.deps-ok $(OUT)/bin/precopy-sim
	$(Q)OUT=$(OUT) EVAL_JOBS=$(EVAL_JOBS) tools/eval/run-eval $(EVAL_ARGS)
