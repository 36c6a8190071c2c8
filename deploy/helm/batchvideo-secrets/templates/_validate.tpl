{{/*
The rule of deploy/preflight.sh (docker compose's `preflight` service), for Helm: a secret is refused
when it contains change-me/changeme/change_me, is one of the stock defaults below (any case), or is
shorter than 16 characters. tests/test_compose_file.py checks that both lists and lengths agree.
*/}}
{{- define "batchvideo.minSecretLength" -}}16{{- end -}}

{{/* "" when the secret is acceptable, else one line naming it (list NAME VALUE). */}}
{{- define "batchvideo.secretProblem" -}}
{{- $name := index . 0 -}}
{{- $value := toString (index . 1) -}}
{{- $lowered := lower $value -}}
{{- $min := include "batchvideo.minSecretLength" . | int -}}
{{- $placeholder := has $lowered (list "password" "secret" "admin" "postgres" "minioadmin" "batchvideo") -}}
{{- range $part := list "change-me" "changeme" "change_me" -}}
{{- if contains $part $lowered -}}{{- $placeholder = true -}}{{- end -}}
{{- end -}}
{{- if $placeholder -}}
{{ $name }}: a placeholder; set a random value (openssl rand -hex 24)
{{- else if lt (len $value) $min -}}
{{ $name }}: {{ len $value }} characters; at least {{ $min }} (openssl rand -hex 24)
{{- end -}}
{{- end -}}

{{/* Fails the whole render (so nothing is installed) with one line per bad secret. */}}
{{- define "batchvideo.validate" -}}
{{- $problems := list (include "batchvideo.secretProblem" (list "dagsterPostgresqlPassword" .Values.dagsterPostgresqlPassword)) -}}
{{- $env := .Values.env | default dict -}}
{{- $url := toString (get $env "BATCHVIDEO_DB_URL") -}}
{{- if not $url -}}
{{- $problems = append $problems "env.BATCHVIDEO_DB_URL: required (the scripts database)" -}}
{{- else -}}
{{- /* The password is the part of the URL's user info after the first colon (percent-encoded as written). */ -}}
{{- $userinfo := get (urlParse $url) "userinfo" -}}
{{- $password := "" -}}
{{- if contains ":" $userinfo -}}{{- $password = index (splitn ":" 2 $userinfo) "_1" -}}{{- end -}}
{{- $problems = append $problems (include "batchvideo.secretProblem" (list "env.BATCHVIDEO_DB_URL password" $password)) -}}
{{- end -}}
{{- range $key := keys $env | sortAlpha -}}
{{- if or (hasSuffix "PASSWORD" $key) (and (eq $key "AWS_SECRET_ACCESS_KEY") (get $env $key)) -}}
{{- $problems = append $problems (include "batchvideo.secretProblem" (list (printf "env.%s" $key) (get $env $key))) -}}
{{- end -}}
{{- end -}}
{{- $problems = compact $problems -}}
{{- if $problems -}}
{{- fail (printf "refusing placeholder or short secrets:\n%s" (join "\n" $problems)) -}}
{{- end -}}
{{- end -}}
