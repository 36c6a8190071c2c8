#!/bin/sh
# Refuses to start the stack with a placeholder or short secret (docker-compose's `preflight` service;
# every other service waits for it to succeed). One line per bad variable, naming it; exit 1.
bad=0
for name in POSTGRES_PASSWORD MINIO_ROOT_PASSWORD BUSINESS_DB_PASSWORD; do
  eval "value=\${$name:-}"
  lowered=$(printf '%s' "$value" | tr '[:upper:]' '[:lower:]')
  case "$lowered" in
    *change-me*|*changeme*|*change_me*|password|secret|admin|postgres|minioadmin|batchvideo)
      echo "$name: a placeholder; set a random value in .env (openssl rand -hex 24)" >&2; bad=1; continue ;;
  esac
  if [ "${#value}" -lt 16 ]; then
    echo "$name: ${#value} characters; at least 16 (openssl rand -hex 24)" >&2; bad=1
  fi
done
[ "$bad" -eq 0 ] && echo "preflight: secrets are set"
exit "$bad"
