#!/usr/bin/env bash
# The main job (`make demo`): a local cluster of the `platform` profile, the whole platform
# installed by site.yml from the real upstream charts in ../shared/charts, a summary of what
# runs (and what of it the local cluster simulates), then the demo tenant onboarded.
#
# The `platform` profile (tools/devcluster.py) has no CRDs preinstalled (the charts install
# theirs), webhook admission off (no webhook server runs), a loopback-only egress proxy for the
# API server, LoadBalancer addresses, a volume provisioner, and kwok Stages that set the status
# an operator would (Redpanda, CloudNativePG, Grafana: reason SimulatedByKwok).
#
# Arguments go to `ansible-playbook site.yml`. Environment: OPENOVA_DEMO_CLUSTER names the
# cluster (default demo); OPENOVA_CHART_DIR points at another chart folder. Exit code 0 only
# when the install, the summary's readiness, the tenant and the loopback check all passed.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export OPENOVA_CACHE_DIR=${OPENOVA_CACHE_DIR:-$ROOT/.cache}
VENV=${VENV:-$ROOT/.venv}
export PATH="$VENV/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$OPENOVA_CACHE_DIR/collections"
CLUSTER=${OPENOVA_DEMO_CLUSTER:-demo}
CHARTS=${OPENOVA_CHART_DIR:-$ROOT/../shared/charts}
LOG="$OPENOVA_CACHE_DIR/demo/$CLUSTER"
mkdir -p "$LOG"
START=$(date +%s)
STEP_START=$START

step() {
  local now
  now=$(date +%s)
  [[ -n "${STEP_NAME:-}" ]] && echo "--- step '$STEP_NAME' took $((now - STEP_START))s"
  STEP_NAME=$1
  STEP_START=$now
  echo
  echo "=== $1 ==="
}

step "1/6 setup and the pinned binaries (cached after the first run)"
bash tools/setup.sh || exit 1
python tools/toolchain.py etcd kube-apiserver kube-controller-manager kube-scheduler kwok kubectl helm || exit 1

step "2/6 the upstream charts"
if ! ls "$CHARTS"/*.tgz >/dev/null 2>&1; then
  echo "no charts in $CHARTS: put the upstream charts (<chart>-<version>.tgz) there or set OPENOVA_CHART_DIR" >&2
  exit 1
fi
CHARTS=$(cd "$CHARTS" && pwd)
export OPENOVA_CHART_DIR=$CHARTS
echo "charts from $CHARTS: $(ls "$CHARTS"/*.tgz | wc -l) packages"

step "3/6 local cluster '$CLUSTER' (profile platform)"
python tools/devcluster.py --name "$CLUSTER" up --profile platform || exit 1
eval "$(python tools/devcluster.py --name "$CLUSTER" env)"
export K8S_AUTH_KUBECONFIG=$KUBECONFIG
SINCE=$(date -u +%Y-%m-%dT%H:%M:%SZ)

step "4/6 ansible-playbook site.yml (local inventory, every chart from $CHARTS)"
ansible-playbook -i inventories/local/hosts.yml site.yml "$@" 2>&1 | tee "$LOG/site.log"
site_rc=${PIPESTATUS[0]}

step "5/6 onboard the demo tenant"
ansible-playbook -i inventories/local/hosts.yml playbooks/onboard_tenant.yml \
  -e tenant_name=demo -e tenant_display_name="Demo tenant" -e tenant_tier=small \
  -e tenant_owner_groups=demo-admins -e tenant_developer_groups=demo-developers \
  -e tenant_namespaces=demo-dev,demo-prod 2>&1 | tee "$LOG/onboard.log"
onboard_rc=${PIPESTATUS[0]}

step "6/6 summary"
python - "$LOG/site.log" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
# the result of the summary task, as the default callback prints it
m = re.search(r"TASK \[[^\]]*Summarise the platform\][^\n]*\n(?:[^\n]*\n)*?ok: \[localhost\] => (\{.*?\n\})", text, re.S)
lines = json.loads(m.group(1))["msg"] if m else ["(site.yml printed no summary; see the log above)"]
print("\n".join(lines))
PY
echo
kubectl=$(python tools/toolchain.py kubectl | sed -n 's/^kubectl: //p')
"$kubectl" get namespaces -l openova.io/tenant=demo -L openova.io/tenant,pod-security.kubernetes.io/enforce,istio-injection
echo
python tools/devcluster.py --name "$CLUSTER" loopback-check --since "$SINCE"
loop_rc=$?
step "done"
echo "site.yml: exit $site_rc (log $LOG/site.log); demo tenant: exit $onboard_rc (log $LOG/onboard.log);" \
     "API server beyond loopback: $([[ $loop_rc -eq 0 ]] && echo never || echo YES, see above)"
echo "main job: $(( $(date +%s) - START ))s in all"
echo "The cluster keeps running: 'python tools/devcluster.py --name $CLUSTER env' prints its KUBECONFIG," \
     "'python tools/devcluster.py --name $CLUSTER down' stops it."
[[ $site_rc -eq 0 && $onboard_rc -eq 0 && $loop_rc -eq 0 ]]
