{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "palisade.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Base name of every resource: <release>-<chart>, or the release name alone when it already contains the chart name.
Kept to 45 characters so that "-operator-tls" and friends still fit in 63.
*/}}
{{- define "palisade.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 45 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 45 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 45 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "palisade.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every resource. */}}
{{- define "palisade.labels" -}}
helm.sh/chart: {{ include "palisade.chart" . }}
app.kubernetes.io/name: {{ include "palisade.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: palisade
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector labels of one component: (dict "ctx" $ "component" "authz"). */}}
{{- define "palisade.selectorLabels" -}}
app.kubernetes.io/name: {{ include "palisade.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Full labels of one component. */}}
{{- define "palisade.componentLabels" -}}
{{ include "palisade.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "palisade.operator.fullname" -}}{{ include "palisade.fullname" . }}-operator{{- end }}
{{- define "palisade.authz.fullname" -}}{{ include "palisade.fullname" . }}-authz{{- end }}
{{- define "palisade.redis.fullname" -}}{{ include "palisade.fullname" . }}-redis{{- end }}
{{- define "palisade.authz.challengeKeySecret" -}}{{ .Values.authz.challengeKey.existingSecret | default (printf "%s-challenge-key" (include "palisade.fullname" .)) }}{{- end }}

{{- define "palisade.operator.serviceAccountName" -}}
{{- if .Values.operator.serviceAccount.create }}
{{- default (include "palisade.operator.fullname" .) .Values.operator.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.operator.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "palisade.authz.serviceAccountName" -}}
{{- if .Values.authz.serviceAccount.create }}
{{- default (include "palisade.authz.fullname" .) .Values.authz.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.authz.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "palisade.snapshotConfigMap" -}}
{{- default (printf "%s-snapshot" (include "palisade.fullname" .)) .Values.snapshot.configMapName }}
{{- end }}

{{/* Image reference: (dict "ctx" $ "image" .Values.authz.image). */}}
{{- define "palisade.image" -}}
{{- $registry := .ctx.Values.image.registry | trimSuffix "/" }}
{{- $repo := .image.repository }}
{{- if $registry }}{{ $repo = printf "%s/%s" $registry $repo }}{{ end }}
{{- if .image.digest }}
{{- printf "%s@%s" $repo .image.digest }}
{{- else }}
{{- printf "%s:%s" $repo (.image.tag | default .ctx.Values.image.tag | default .ctx.Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/* TLS Secret names. */}}
{{- define "palisade.authz.tlsSecret" -}}
{{- if .Values.tls.certManager.enabled }}{{ include "palisade.authz.fullname" . }}-tls{{ else }}{{ .Values.tls.authz.existingSecret }}{{ end }}
{{- end }}
{{- define "palisade.operator.tlsSecret" -}}
{{- if .Values.tls.certManager.enabled }}{{ include "palisade.operator.fullname" . }}-tls{{ else }}{{ .Values.tls.operator.existingSecret }}{{ end }}
{{- end }}

{{/* Rules the schema cannot express (they span several keys); each fails the render with the key to fix. */}}
{{- define "palisade.validate" -}}
{{- if and .Values.tls.enabled (not .Values.tls.certManager.enabled) }}
{{- if or (not .Values.tls.authz.existingSecret) (not .Values.tls.operator.existingSecret) }}
{{- fail "tls.enabled without tls.certManager.enabled needs tls.authz.existingSecret and tls.operator.existingSecret (kubernetes.io/tls Secrets with tls.crt, tls.key and ca.crt)" }}
{{- end }}
{{- end }}
{{- if and (eq .Values.redis.mode "external") (not .Values.redis.external.url) (not .Values.redis.external.existingSecret.name) }}
{{- fail "redis.mode=external needs redis.external.url or redis.external.existingSecret.name" }}
{{- end }}
{{- if and (eq .Values.redis.mode "external") .Values.redis.external.url .Values.redis.external.existingSecret.name }}
{{- fail "redis.external.url and redis.external.existingSecret.name are exclusive: give one" }}
{{- end }}
{{- if and (gt (int .Values.operator.replicas) 1) (not .Values.operator.leaderElection.enabled) }}
{{- fail "operator.replicas > 1 needs operator.leaderElection.enabled=true (two operators would both write status)" }}
{{- end }}
{{- if and .Values.authz.autoscaling.enabled (gt (int .Values.authz.autoscaling.minReplicas) (int .Values.authz.autoscaling.maxReplicas)) }}
{{- fail "authz.autoscaling.minReplicas must not exceed authz.autoscaling.maxReplicas" }}
{{- end }}
{{- if and .Values.authz.accessLogPrincipals (not (and .Values.tls.enabled .Values.tls.requireClientCert)) }}
{{- fail "authz.accessLogPrincipals needs tls.enabled=true and tls.requireClientCert=true (the principal is read from the Envoy's client certificate)" }}
{{- end }}
{{- end }}
