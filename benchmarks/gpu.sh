#!/usr/bin/env bash
# Every GPU measurement the docs are waiting for, in one script sized for a 15-minute device
# session (see docs/performance.md): the ScaPre solver at SD 1.5 shapes (the 50-concept edit
# behind the paper's "120 s" claim) and at SDXL shapes, the baselines' costs, and the engine against a plain
# diffusers loop at 512x512 fp16. Results land in benchmarks/results/*-cuda.json; each step has
# its own time limit so one slow step cannot eat the others' time.
#   bash benchmarks/gpu.sh            (from the repository root, with .venv built by .ci/run)
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
export HF_HUB_OFFLINE=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee benchmarks/results/gpu.txt
timeout 240 "$PY" benchmarks/solver.py --device cuda --sizes 1,10,50,100,1000 --oracle-m 50
timeout 120 "$PY" benchmarks/solver.py --device cuda --family sdxl --sizes 1,50 --oracle-matrices 0
timeout 150 "$PY" benchmarks/baselines.py --device cuda --sizes 10,50
timeout 180 "$PY" benchmarks/scaling.py --device cuda --processes 1
ls -l benchmarks/results/*cuda*.json
