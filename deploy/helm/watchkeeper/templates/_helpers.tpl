{{/* Name prefix of every object: the release name, or release-watchkeeper when it lacks "watchkeeper". */}}
{{- define "watchkeeper.fullname" -}}
{{- if contains "watchkeeper" .Release.Name }}{{ .Release.Name | trunc 50 | trimSuffix "-" }}
{{- else }}{{ printf "%s-watchkeeper" .Release.Name | trunc 50 | trimSuffix "-" }}{{ end }}
{{- end }}

{{/* Labels that select one component's pods: call with (list $ "agent"). */}}
{{- define "watchkeeper.selectorLabels" -}}
app.kubernetes.io/name: watchkeeper
app.kubernetes.io/instance: {{ (index . 0).Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{/* Every label of one component's objects: call with (list $ "agent"). */}}
{{- define "watchkeeper.labels" -}}
{{ include "watchkeeper.selectorLabels" . }}
app.kubernetes.io/version: {{ (index . 0).Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ (index . 0).Release.Service }}
helm.sh/chart: {{ printf "%s-%s" (index . 0).Chart.Name (index . 0).Chart.Version }}
{{- with (index . 0).Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "watchkeeper.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* Name of the service account the API server sees for a component: call with (list $ "prober"). */}}
{{- define "watchkeeper.user" -}}
system:serviceaccount:{{ (index . 0).Release.Namespace }}:{{ include "watchkeeper.fullname" (index . 0) }}-{{ index . 1 }}
{{- end }}

{{/* A component's config file: its config values with the status server on metricsPort. Call with (list $ .Values.agent.config). */}}
{{- define "watchkeeper.configFile" -}}
{{- $root := index . 0 }}
{{- $config := deepCopy (index . 1) }}
{{- $_ := set $config "server" (dict "host" "0.0.0.0" "port" (int $root.Values.metricsPort)) }}
{{- toYaml $config }}
{{- end }}

{{/* The container hardening every non-root component shares (docs/security.md). */}}
{{- define "watchkeeper.containerSecurityContext" -}}
runAsNonRoot: true
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
capabilities: { drop: [ALL] }
seccompProfile: { type: RuntimeDefault }
{{- end }}

{{- define "watchkeeper.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
# Secret files (defaultMode 256 = 0400) become readable by this group only (0440).
fsGroup: 1000
seccompProfile: { type: RuntimeDefault }
{{- end }}

{{/* Probes on the status server. */}}
{{- define "watchkeeper.probes" -}}
ports: [{ name: metrics, containerPort: {{ .Values.metricsPort }} }]
readinessProbe: { httpGet: { path: /readyz, port: metrics }, periodSeconds: 10 }
livenessProbe: { httpGet: { path: /healthz, port: metrics }, periodSeconds: 20, failureThreshold: 3 }
{{- end }}

{{/* Pod annotations: the scrape hints plus the component's own. Call with (list $ .Values.agent.podAnnotations). */}}
{{- define "watchkeeper.podAnnotations" -}}
prometheus.io/scrape: 'true'
prometheus.io/port: {{ (index . 0).Values.metricsPort | quote }}
{{- with index . 1 }}
{{ toYaml . }}
{{- end }}
{{- end }}
