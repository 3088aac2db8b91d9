#!/usr/bin/env bash
# One-shot training on a rented GPU machine, with the SAME code as `make train`
# (models/phantom, models/train.py, models/export.py); only the set size, steps and batch grow.
# Sizes come from the environment so the identical script was first run here on CPU, tiny:
#   OUT=/tmp/gpu_out N=16 SEG_STEPS=4 CLS_STEPS=4 WORKERS=2 bash models/gpu_job.sh
set -uo pipefail
PY=${PY:-python3}
OUT=${OUT:?set OUT to the folder that receives the results}
N=${N:-3200}                 # phantom training photos (balanced class x distance), seed 1
SEG_STEPS=${SEG_STEPS:-2500}; SEG_BATCH=${SEG_BATCH:-32}; SEG_MIN=${SEG_MIN:-3.5}
CLS_STEPS=${CLS_STEPS:-2000}; CLS_BATCH=${CLS_BATCH:-64}; CLS_MIN=${CLS_MIN:-2.0}
WORKERS=${WORKERS:-15}
DATA=${DATA:-data/phantom-train-gpu}
CK=${CK:-models/checkpoints/gpu}
export PYTHONUNBUFFERED=1
export ADAI_MOBILENET_WEIGHTS=${ADAI_MOBILENET_WEIGHTS:-.device/weights/mobilenet_v2-b0353104.pth}
mkdir -p "$OUT" "$CK"
LOG="$OUT/gpu_job.log"

step() { echo "== $(date +%T) $*" | tee -a "$LOG"; }
step "start: N=$N SEG=$SEG_STEPS x $SEG_BATCH CLS=$CLS_STEPS x $CLS_BATCH workers=$WORKERS"
{ nvidia-smi -L; $PY -c 'import torch; print("torch", torch.__version__, torch.cuda.is_available())'; } 2>&1 | tee -a "$LOG"
step "phantom"
$PY -m models phantom --out "$DATA" --n "$N" --seed 1 --workers "$WORKERS" 2>&1 | tee -a "$LOG"
step "segmenter"
$PY -m models train --data "$DATA" --what segmenter --seg-steps "$SEG_STEPS" --seg-batch "$SEG_BATCH" \
    --workers "$WORKERS" --checkpoints "$CK" --save-every 500 --log-every 100 \
    --deadline-minutes "$SEG_MIN" 2>&1 | grep -v Warning | tee -a "$LOG"
step "classifier"
$PY -m models train --data "$DATA" --what classifier --cls-steps "$CLS_STEPS" --cls-batch "$CLS_BATCH" \
    --workers "$WORKERS" --checkpoints "$CK" --save-every 500 --log-every 100 \
    --deadline-minutes "$CLS_MIN" 2>&1 | grep -v Warning | tee -a "$LOG"
step "slim checkpoints (no optimizer state) -> OUT"
$PY - "$CK" "$OUT" <<'PY' 2>&1 | tee -a "$LOG"
import sys, torch
ck, out = sys.argv[1:]
for kind in ("segmenter", "classifier"):
    state = torch.load(f"{ck}/{kind}.pt", map_location="cpu", weights_only=False)
    state.pop("optimizer", None)
    torch.save(state, f"{out}/{kind}.pt")
    print(kind, "step", state["step"], "of", state["recipe"]["steps"], "history", state["history"])
PY
cp "$CK/train.log" "$OUT/train.log"
step "export (check only; the committed ONNX are exported again on the CPU machine)"
mkdir -p "$OUT/onnx"
$PY -m models export --checkpoints "$OUT" --out "$OUT/onnx" 2>&1 | grep -v -i warn | tee -a "$LOG"
step "done"
