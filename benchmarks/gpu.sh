#!/usr/bin/env bash
# Every GPU measurement the docs are waiting for, in one script sized for a 15-minute device
# session (see docs/performance.md): the ScaPre solver at SD 1.5 shapes (the 50-concept edit
# behind the paper's "120 s" claim) and at SDXL shapes, the baselines' edit costs, and
# `scapre-audit run`'s generate stage against a plain diffusers loop on an SD 1.5-shaped model at 512x512 fp16, PNDM 50 steps
# (the reference rate of `scapre-audit plan`'s GPU-hours). Results land in
# benchmarks/results/*-cuda.json (and in $OUT when set); each step has its own time limit so one
# slow step cannot eat the others' time.
#
# The device machine has no .venv and no network; its python3 has torch, transformers,
# torchmetrics, accelerate, torchvision, timm, typer, rich, jinja2 and pyyaml but not diffusers or
# open_clip. Those travel as wheels in the ignored folder .whl/:
#   bash benchmarks/gpu.sh --prepare    here (pip's local index): download the wheels into .whl/
#   bash benchmarks/gpu.sh --smoke      here or there: install the wheels, then a CPU toy-world
#                                       run through the same interpreter (the install rehearsal)
#   bash benchmarks/gpu.sh              on the device: run(command="bash benchmarks/gpu.sh",
#                                       carry=[".whl"], timeout_s=600)
set -uo pipefail
cd "$(dirname "$0")/.."
# what the device's python3 lacks (pure-Python wheels, or abi3), pinned to the versions tested here
WHEELS=(diffusers==0.42.1 open_clip_torch==3.3.0 ftfy==6.3.1 wcwidth==0.9.4
        importlib_metadata==10.2.0 lazy-importer==0.1.0)
PY=${PY:-python3}
export HF_HUB_OFFLINE=1

if [ "${1:-}" = "--prepare" ]; then
  exclude=$(git rev-parse --git-path info/exclude)
  grep -qxF '/.whl/' "$exclude" 2>/dev/null || echo '/.whl/' >> "$exclude"
  mkdir -p .whl
  ${PIP:-.venv/bin/python -m pip} download --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 -d .whl "${WHEELS[@]}" || exit 1
  du -sh .whl
  exit 0
fi

# install the carried wheels where they shadow nothing else, unless the packages are importable
if ! "$PY" -c "import diffusers, open_clip" 2>/dev/null; then
  ls .whl/*.whl >/dev/null 2>&1 || { echo "no .whl/: run 'bash benchmarks/gpu.sh --prepare' first" >&2; exit 1; }
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
"$PY" -c "import torch, diffusers, open_clip, transformers; print('torch', torch.__version__,
  'cuda', torch.cuda.is_available(), 'diffusers', diffusers.__version__, 'open_clip',
  open_clip.__version__, 'transformers', transformers.__version__)" || exit 1

if [ "${1:-}" = "--smoke" ]; then
  out=$(mktemp -d)/tw
  "$PY" -m audits.cli run toyworld --profile ci --limit 1 --out "$out" || exit 1
  ls "$out/results.json" "$out/report/index.html"
  exit 0
fi

mkdir -p benchmarks/results
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee benchmarks/results/gpu.txt
# one 10-minute device call: 120 + 100 + 90 + 240 s of limits, plus the install (~15 s)
timeout 120 "$PY" benchmarks/solver.py --device cuda --sizes 1,10,50,100,1000 --oracle-m 50
timeout 100 "$PY" benchmarks/solver.py --device cuda --family sdxl --sizes 1,50 --oracle-matrices 0
timeout 90 "$PY" benchmarks/baselines.py --device cuda --sizes 10,50
timeout 240 "$PY" benchmarks/scaling.py --device cuda --processes 1 --steps 50 --sampler pndm
ls -l benchmarks/results/*cuda*.json
if [ -n "${OUT:-}" ]; then
  cp benchmarks/results/gpu.txt benchmarks/results/*-cuda.json "$OUT"/ 2>/dev/null
fi
