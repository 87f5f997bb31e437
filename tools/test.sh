#!/usr/bin/env bash
# The project's one test command (`make test`, also run by .ci/run).
#
#   tools/test.sh                 every stage, in order
#   tools/test.sh unit lint ...   only the named stages
#
# Stages: build unit cluster integration sanity lint molecule kyverno admission
# It brings the local clusters up itself (tools/devcluster.py) and leaves them
# running; `make cluster-down` stops the default cluster and
# `python tools/devcluster.py --name admission down` the admission cluster.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export OPENOVA_CACHE_DIR=${OPENOVA_CACHE_DIR:-$ROOT/.cache}
CACHE=$OPENOVA_CACHE_DIR
VENV=${VENV:-$ROOT/.venv}
export PATH="$VENV/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$CACHE/collections"
export ANSIBLE_FORCE_COLOR=0 PY_COLORS=0
export K8S_AUTH_KUBECONFIG="$CACHE/cluster/admin.kubeconfig"

ALL_STAGES=(build unit cluster integration sanity lint molecule kyverno admission)
STAGES=("$@")
[[ ${#STAGES[@]} -eq 0 ]] && STAGES=("${ALL_STAGES[@]}")

bash tools/setup.sh || exit 1

# pytest exits 5 when it collected no test; a stage without tests is a failure
# we want to see, so it is reported as such rather than passed.
run_pytest() {
  pytest "$@"
  local rc=$?
  if [[ $rc -eq 5 ]]; then
    echo "pytest collected no tests in $*" >&2
  fi
  return $rc
}

stage_build() {
  python tools/toolchain.py
  ansible-galaxy collection build --force --output-path "$CACHE/dist" .
}

stage_unit() {
  # The guard-rail corpus test compares verdicts with the Kyverno CLI; the reachability
  # matrix is computed by cyclonus; tests/unit/roles/test_otel_chart.py renders with helm.
  python tools/toolchain.py kyverno cyclonus helm >/dev/null || return 1
  # The role tests run in their own process: their Templar must load the collection (openova.platform.*
  # filters) before any plugin test imports it as a plain package.
  run_pytest -q -p no:cacheprovider tests/unit/roles || return 1
  run_pytest -q -p no:cacheprovider tests/unit --ignore=tests/unit/roles
}

stage_cluster() {
  python tools/devcluster.py up --crds all
}

stage_integration() {
  [[ -f "$K8S_AUTH_KUBECONFIG" ]] || stage_cluster || return 1
  # site.yml, the Kyverno CLI and isolation tests use helm, kyverno and cyclonus; test_otel_collector.py
  # runs the collector
  python tools/toolchain.py helm kyverno cyclonus otelcol-openova >/dev/null || return 1
  run_pytest -q -p no:cacheprovider tests/integration
}

stage_sanity() {
  # ansible-test runs only from ansible_collections/<namespace>/<name>, and
  # resolves symlinks, so it gets a copy of the tracked and new files.
  python tools/ansible-test-offline.py >/dev/null || return 1
  local dest="$CACHE/sanity/ansible_collections/openova/platform"
  rm -rf "$dest" && mkdir -p "$dest"
  git ls-files -z --cached --others --exclude-standard | (cd "$ROOT" && xargs -0 cp --parents -t "$dest") || return 1
  (cd "$dest" && git init -q && git add -A >/dev/null 2>&1 &&
   ansible-test sanity --venv --python "$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
     --exclude tools/ --exclude .ci/ --color no)
}

stage_lint() {
  ansible-lint --profile production
}

stage_molecule() {
  [[ -f "$K8S_AUTH_KUBECONFIG" ]] || stage_cluster || return 1
  (cd "$ROOT" && molecule test -s default)
}

stage_admission() {
  # Live admission: a second cluster of the admission profile, where Kyverno's admission and
  # background controllers and istiod run as local processes (their webhooks reached only
  # through the loopback egress proxy). `up` installs the CRDs the profile needs (Kyverno, Istio
  # and the tenant module's kinds), applies the charts' objects and starts the controllers.
  # tests/admission uses only that cluster; afterwards the API server must have stayed on loopback.
  python tools/toolchain.py kyverno kyverno-controllers istio helm >/dev/null || return 1
  python tools/devcluster.py --name admission up --profile admission || return 1
  local rc=0
  run_pytest -q -p no:cacheprovider tests/admission || rc=1
  python tools/devcluster.py --name admission loopback-check || rc=1
  return $rc
}

stage_kyverno() {
  local kyverno
  kyverno=$(python tools/toolchain.py kyverno | sed -n 's/^kyverno: //p') || return 1
  if [[ ! -d tests/kyverno ]]; then
    echo "no Kyverno CLI suite (tests/kyverno) yet" >&2
    return 1
  fi
  "$kyverno" test tests/kyverno --remove-color
}

declare -A RESULT
failed=0
# Each stage's output also goes to a log, so the summary can repeat what failed: a CI
# log that keeps only its tail still names the failing tests.
LOGS="$CACHE/test-logs"
mkdir -p "$LOGS"
for stage in "${STAGES[@]}"; do
  if ! declare -F "stage_$stage" >/dev/null; then
    echo "unknown stage '$stage'; stages: ${ALL_STAGES[*]}" >&2
    exit 2
  fi
  echo
  echo "=== stage: $stage ==="
  start=$(date +%s)
  "stage_$stage" 2>&1 | tee "$LOGS/$stage.log"
  if [[ ${PIPESTATUS[0]} -eq 0 ]]; then
    RESULT[$stage]="passed in $(( $(date +%s) - start ))s"
  else
    RESULT[$stage]="FAILED after $(( $(date +%s) - start ))s"
    failed=$((failed + 1))
  fi
done

echo
echo "=== summary ==="
for stage in "${STAGES[@]}"; do
  printf '  %-12s %s\n' "$stage" "${RESULT[$stage]}"
  if [[ ${RESULT[$stage]} == FAILED* ]]; then
    # pytest's short summary (FAILED/ERROR lines), else the stage's last lines
    { grep -E '^(FAILED|ERROR) ' "$LOGS/$stage.log" || tail -n 5 "$LOGS/$stage.log"; } |
      head -n 40 | cut -c1-300 | sed 's/^/      /'
  fi
done
echo "stages: $(( ${#STAGES[@]} - failed )) passed, $failed failed"
[[ $failed -eq 0 ]]
