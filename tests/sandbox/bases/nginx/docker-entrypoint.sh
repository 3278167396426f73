#!/bin/sh
# What the official nginx image's entrypoint does that this project uses: render templates, then exec.
set -e
if [ "$1" = "nginx" ]; then
  template_dir="${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}"
  output_dir="${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}"
  suffix="${NGINX_ENVSUBST_TEMPLATE_SUFFIX:-.template}"
  defined_envs=$(printf '${%s} ' $(awk 'END { for (name in ENVIRON) { print ( name ~ /^[a-zA-Z_][a-zA-Z0-9_]*$/ ) ? name : "" } }' < /dev/null))
  if [ -d "$template_dir" ] && [ -w "$output_dir" ]; then
    for template in $(find "$template_dir" -follow -type f -name "*$suffix"); do
      relative="${template#"$template_dir/"}"
      output="$output_dir/${relative%"$suffix"}"
      mkdir -p "$(dirname "$output")"
      envsubst "$defined_envs" < "$template" > "$output"
      echo "$0: rendered $template to $output"
    done
  fi
fi
exec "$@"
