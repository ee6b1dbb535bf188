{{/* Every scalable Deployment as [name suffix, component, block]; the HPA and PDB templates range over it. */}}
{{- define "govproj.scalables" -}}
{{- $out := list -}}
{{- range $name, $raw := .Values.services -}}
{{- $svc := include "govproj.serviceValues" (list $ $raw) | fromYaml -}}
{{- if $svc.enabled -}}
{{- $out = append $out (dict "suffix" $name "component" (printf "%s-api" $name) "block" $svc.api) -}}
{{- if $svc.workers.enabled -}}
{{- $out = append $out (dict "suffix" (printf "%s-worker" $name) "component" (printf "%s-worker" $name) "block" $svc.workers) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if .Values.portal.enabled -}}
{{- $out = append $out (dict "suffix" "portal" "component" "portal" "block" .Values.portal) -}}
{{- end -}}
{{- toYaml (dict "items" $out) -}}
{{- end -}}
