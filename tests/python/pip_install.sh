#!/usr/bin/env bash
# pip install ./examples/python as a user would (pyproject.toml: scikit-build-core builds
# the CMake project, nanobind the module, stubgen its .pyi) into a scratch directory,
# then import the installed module and check its API and stub.
#   tests/python/pip_install.sh PYTHON EXAMPLE_DIR TARGET_DIR
# The build uses the venv's pinned scikit-build-core and nanobind (no build isolation).
set -euo pipefail
python="$1" src="$2" target="$3"
rm -rf "$target"
CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" "$python" -m pip install --quiet --disable-pip-version-check \
  --no-build-isolation --no-deps --target "$target" "$src"
test -f "$target/payments_features.pyi" || { echo "no typing stub installed"; exit 1; }
grep -q "class OnlineEvaluator" "$target/payments_features.pyi"
PYTHONPATH="$target" "$python" - <<'PY'
import pyarrow as pa
import payments_features as pf
events = pa.table({"user_id": [1, 1], "ts_us": [10, 20], "amount": [5.0, 7.0],
                   "merchant_category": pa.array([1, 2], pa.int32()), "card_present": [True, False]})
table = pf.training_set(events, pa.table({"user_id": [1], "ts_us": [21]}))
assert table.column("spend_1h").to_pylist() == [12.0], table
online = pf.OnlineEvaluator()
assert online.ingest(events)["accepted"] == 2
assert online.features([1], 21)[0, 0] == 12.0
print("OK: pip install built", pf.__file__)
PY
