{{/* Names and labels shared by every template. */}}

{{- define "govproj.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "govproj.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "govproj.selectorLabels" -}}
app.kubernetes.io/name: {{ include "govproj.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "govproj.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "govproj.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: govproj
{{- end -}}

{{- define "govproj.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "govproj.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "govproj.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* One service's values: serviceDefaults with the service's own block over them. */}}
{{- define "govproj.serviceValues" -}}
{{- $root := index . 0 -}}
{{- $svc := index . 1 -}}
{{- toYaml (mergeOverwrite (deepCopy $root.Values.serviceDefaults) (deepCopy $svc)) -}}
{{- end -}}

{{/* The pod-level security context every workload runs with. */}}
{{- define "govproj.podSecurityContext" -}}
{{- toYaml .Values.podSecurityContext -}}
{{- end -}}

{{/* The container-level security context: non-root, read-only root fs, no capabilities. */}}
{{- define "govproj.containerSecurityContext" -}}
{{- toYaml .Values.containerSecurityContext -}}
{{- end -}}

{{/* Volumes every GovProj container needs: a writable /tmp, the policy packs. */}}
{{- define "govproj.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- range $i, $pack := .Values.policies.existingConfigMaps }}
- name: policy-{{ $i }}
  configMap:
    name: {{ tpl $pack.name $ }}
{{- end }}
{{- $n := len .Values.policies.existingConfigMaps -}}
{{- range $i, $folder := keys .Values.policies.packs | sortAlpha }}
- name: policy-{{ add $n $i }}
  configMap:
    name: {{ include "govproj.fullname" $ }}-policy-{{ $folder }}
{{- end }}
{{- end -}}

{{- define "govproj.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- range $i, $pack := .Values.policies.existingConfigMaps }}
- name: policy-{{ $i }}
  mountPath: {{ $.Values.policies.mountPath }}/{{ $pack.folder }}
  readOnly: true
{{- end }}
{{- $n := len .Values.policies.existingConfigMaps -}}
{{- range $i, $folder := keys .Values.policies.packs | sortAlpha }}
- name: policy-{{ add $n $i }}
  mountPath: {{ $.Values.policies.mountPath }}/{{ $folder }}
  readOnly: true
{{- end }}
{{- end -}}

{{- define "govproj.hasPolicyConfigMaps" -}}
{{- if or .Values.policies.existingConfigMaps .Values.policies.packs -}}true{{- end -}}
{{- end -}}

{{/* A secret reference as an env entry. args: name, secret, key */}}
{{- define "govproj.secretEnv" -}}
- name: {{ index . 0 }}
  valueFrom:
    secretKeyRef:
      name: {{ index . 1 }}
      key: {{ index . 2 }}
{{- end -}}

{{/* The env that needs secrets, shared by API and workers; args: root, service values, service name. */}}
{{- define "govproj.secretEnvs" -}}
{{- $root := index . 0 -}}
{{- $svc := index . 1 -}}
{{- $name := index . 2 -}}
{{- $db := $root.Values.connections.database -}}
{{ include "govproj.secretEnv" (list "GOVPROJ_DATABASE_URL" (tpl $db.existingSecret $root) $db.appUrlKey) }}
{{- with $root.Values.connections.nats }}
{{- if .existingSecret }}
{{ include "govproj.secretEnv" (list "GOVPROJ_NATS_URL" (tpl .existingSecret $root) .urlKey) }}
{{- end }}
{{- if .usersSecret }}
{{- /* Each service is its own NATS user, publishing only its own subjects (deploy/nats). */}}
- name: GOVPROJ_NATS_USER
  value: {{ $name | quote }}
{{ include "govproj.secretEnv" (list "GOVPROJ_NATS_PASSWORD" (tpl .usersSecret $root) $name) }}
{{- end }}
{{- end }}
{{- if $svc.objectStorage }}
{{- $s3 := $root.Values.connections.objectStorage }}
{{ include "govproj.secretEnv" (list "GOVPROJ_S3_ACCESS_KEY" (tpl $s3.existingSecret $root) $s3.accessKeyKey) }}
{{ include "govproj.secretEnv" (list "GOVPROJ_S3_SECRET_KEY" (tpl $s3.existingSecret $root) $s3.secretKeyKey) }}
{{- end }}
{{- end -}}

{{- define "govproj.podScheduling" -}}
{{- $root := index . 0 -}}
{{- $component := index . 1 -}}
{{- with $root.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- if $root.Values.topologySpread.enabled }}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: {{ $root.Values.topologySpread.topologyKey }}
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "govproj.selectorLabels" $root | nindent 8 }}
        app.kubernetes.io/component: {{ $component }}
{{- end }}
{{- with $root.Values.image.pullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
