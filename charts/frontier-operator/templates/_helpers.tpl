{{/* Names, labels and the few derived values every template shares. */}}

{{- define "frontier.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "frontier.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "frontier.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "frontier.selectorLabels" -}}
app.kubernetes.io/name: {{ include "frontier.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "frontier.labels" -}}
helm.sh/chart: {{ include "frontier.chart" . }}
{{ include "frontier.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: frontier-operator
{{- end }}

{{- define "frontier.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "frontier.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "frontier.workerServiceAccountName" -}}
{{- default (printf "%s-worker" (include "frontier.fullname" .) | trunc 63 | trimSuffix "-") .Values.worker.serviceAccount.name }}
{{- end }}

{{/* The operator image reference: repository, then @digest or :tag (appVersion by default). */}}
{{- define "frontier.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "frontier.workerImage" -}}
{{- default (include "frontier.image" .) .Values.worker.image }}
{{- end }}

{{/* The namespace the operator watches; empty in cluster scope (every namespace). */}}
{{- define "frontier.watchNamespace" -}}
{{- if eq .Values.operator.scope "namespace" }}
{{- default .Release.Namespace .Values.operator.watchNamespace }}
{{- end }}
{{- end }}

{{- define "frontier.postgresqlName" -}}
{{- printf "%s-postgresql" (include "frontier.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The Secret and key holding the DSN: the trial PostgreSQL's, or an existing one. */}}
{{- define "frontier.databaseSecretName" -}}
{{- if .Values.postgresql.enabled }}
{{- include "frontier.postgresqlName" . }}
{{- else }}
{{- required "database.existingSecret.name is required unless postgresql.enabled is true" .Values.database.existingSecret.name }}
{{- end }}
{{- end }}

{{- define "frontier.databaseSecretKey" -}}
{{- if .Values.postgresql.enabled }}dsn{{- else }}{{ .Values.database.existingSecret.key }}{{- end }}
{{- end }}
