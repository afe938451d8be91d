#!/usr/bin/env bash
# The checks that need a GPU, in the order the open issues need them, as one command for a short
# lease of a GPU machine that has PyTorch but no internet and no copy of the data.
#
# Here, first:  make gpu-prep      (the medmnist wheel into .whl/, OrganAMNIST and PneumoniaMNIST into
#                                   .devdata/; both git-ignored, about 43 MB to carry)
# There:        bash benchmarks/gpu_session.sh [seconds]   (default 540), carrying .whl and .devdata
#
# Steps run while time is left, each limited to the time that is left; after every step the
# result files that this session wrote (gan.json, gan_recipes.json, gan_calibration.json,
# gan_imbalance.json, the two GAN sample PNGs, enhancement.json, reconstruction.json and capstone.json), the earlier runs that the scripts set aside to
# make room for them (gan_recipes@*.json, gan_calibration@*.json) and one log are copied to $OUT
# (./gpu-out without it), so a step that is cut short still leaves the earlier results, and no
# file comes back that this session did not replace. A copy of the tree without .git cannot tell
# which commit it is: pass it, as COURSEKIT_GIT_COMMIT=$(git rev-parse HEAD) before the command,
# from a clean checkout.
# Each gan_recipes.py call trains one recipe and adds it to the file (same commit and device).
# The order: the CUDA test paths (never run on a GPU so far); the recipes that test #5's
# diagnosis (dsteps; then the yardstick of the classifier that dsteps trained; wide); the chapter's
# own benchmark; the remaining recipes; the imbalance experiment; the enhancement chapter's
# benchmark, then the reconstruction chapter's and the capstone's (no issue waits on them). Commit the JSON files and PNGs
# that come back, with the log's numbers.
set -u
budget=${1:-540}
start=$SECONDS
out=${OUT:-gpu-out}
mkdir -p "$out"
log="$out/gpu_session.log"
started=$(mktemp)   # its time stamp marks the start: results files newer than it are this session's

PY=${PYTHON:-python3}
if ls .whl/*.whl >/dev/null 2>&1; then
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
        .whl/*.whl || exit 1
    export PYTHONPATH=/tmp/site
fi
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
export COURSEKIT_DATA="${COURSEKIT_DATA:-$PWD/.devdata}" COURSEKIT_PROFILE=full PYTHONUNBUFFERED=1
export COURSEKIT_PROGRESS=0

{ date; nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>&1; git log --oneline -1 2>&1
  "$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"; } >>"$log" 2>&1

step() {   # step NAME COMMAND...: run it if time is left, within the time left; then copy the results
    local name=$1 left=$((budget - (SECONDS - start)))
    shift
    if [ "$left" -lt 20 ]; then
        echo "== $name: skipped, ${left}s left" >>"$log"
        return
    fi
    echo "== $name ($(date +%T), ${left}s left): $*" >>"$log"
    timeout "$left" "$@" >>"$log" 2>&1
    echo "== $name: exit status $? after $((SECONDS - start))s in all" >>"$log"
    for f in $RESULTS; do   # the results files, the archives of the carried files and the log
        for p in benchmarks/results/$f; do   # unquoted: gan_recipes@*.json is a pattern
            [ -f "$p" ] || continue
            # Only what this session wrote: a carried file left as it was is already committed. An
            # archive (name@commit-device.json) comes back only with the new file that replaced it,
            # so that a step stopped before writing its file brings back no copy of the old rows.
            case $p in *@*) new="${p%%@*}.json" ;; *) new=$p ;; esac
            [ "$new" -nt "$started" ] && cp "$p" "$out"/
        done
    done
}
RESULTS="gan.json gan_recipes.json gan_recipes@*.json gan_calibration.json gan_calibration@*.json gan_imbalance.json
         gan_samples.png gan_cgan_samples.png enhancement.json reconstruction.json capstone.json"

step test_gpu "$PY" -m pytest -q -p no:cacheprovider tests/test_gpu.py
step dsteps "$PY" benchmarks/gan_recipes.py dsteps
step calibration "$PY" benchmarks/gan_calibration.py
step wide "$PY" benchmarks/gan_recipes.py wide
step gan "$PY" benchmarks/gan.py
step decay "$PY" benchmarks/gan_recipes.py decay
step ema "$PY" benchmarks/gan_recipes.py ema
step long "$PY" benchmarks/gan_recipes.py long
step imbalance "$PY" benchmarks/gan_imbalance.py
step enhancement "$PY" benchmarks/enhancement.py
step reconstruction "$PY" benchmarks/reconstruction.py
step capstone "$PY" benchmarks/capstone.py
exit 0
