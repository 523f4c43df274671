{{/* Chart name, release-qualified name (63 characters at most, as Kubernetes names require). */}}
{{- define "leocarte.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "leocarte.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "leocarte.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "leocarte.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Recommended labels (helm.sh/docs/chart_best_practices/labels). */}}
{{- define "leocarte.labels" -}}
app.kubernetes.io/name: {{ include "leocarte.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: leocarte
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Selector labels of one role's pods: (dict "root" $ "role" "api"). */}}
{{- define "leocarte.selectorLabels" -}}
app.kubernetes.io/name: {{ include "leocarte.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .role }}
{{- end -}}

{{- define "leocarte.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "leocarte.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "leocarte.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Where the keys of secrets.existingSecret are mounted, one file per key. */}}
{{- define "leocarte.secretsDir" -}}/var/run/secrets/leocarte{{- end -}}
{{- define "leocarte.redisCaDir" -}}/var/run/secrets/leocarte-redis-ca{{- end -}}

{{/* Values that cannot work together, said at render time rather than as a crash-looping pod. */}}
{{- define "leocarte.validate" -}}
{{- if and .Values.redis.sentinels (has "REDIS_URL" .Values.secrets.keys) -}}
{{- fail "redis.sentinels is set: remove REDIS_URL from secrets.keys (Sentinel takes the place of a URL)" -}}
{{- end -}}
{{- if and .Values.redis.sentinels (not .Values.redis.sentinelName) -}}
{{- fail "redis.sentinelName is required with redis.sentinels" -}}
{{- end -}}
{{- if ge (int .Values.shutdown.delaySeconds) (int .Values.shutdown.timeoutSeconds) -}}
{{- fail "shutdown.delaySeconds must be less than shutdown.timeoutSeconds" -}}
{{- end -}}
{{- end -}}
