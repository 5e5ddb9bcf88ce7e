#!/usr/bin/env bash
# Renders deploy/kubernetes (the plain manifests for kustomize and kubectl) from the Helm chart with
# its default values, release "watchkeeper" in namespace "watchkeeper", and the dashboards left out
# (import rendered/dashboards into Grafana instead). namespace.yaml and kustomization.yaml are
# written by hand. test/integration/helm-chart.test.ts fails when the checked-in files are stale.
#
#   bash deploy/render-kubernetes.sh [OUT_DIR]    # default: deploy/kubernetes; needs helm on PATH or $HELM
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:-$here/kubernetes}
helm=${HELM:-helm}
for t in rbac admission agent collector prober backup service poddisruptionbudget networkpolicy; do
  # The note goes after helm's leading "---": a comment before it would be an empty YAML document.
  "$helm" template watchkeeper "$here/helm/watchkeeper" --namespace watchkeeper \
    --set grafanaDashboards.enabled=false --show-only "templates/$t.yaml" 2> >(grep -v 'found symbolic link' >&2) |
    sed "1a # Rendered from deploy/helm/watchkeeper/templates/$t.yaml by deploy/render-kubernetes.sh: edit the chart, not this file." \
    > "$out/$t.yaml"
done
