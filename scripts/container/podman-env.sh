# Sourced by the scripts here (and usable from a shell: `. scripts/container/podman-env.sh`).
# podman works on these machines only with runc, no default ulimits (raising them is not permitted here) and
# host networking for builds (RUN npm ci must reach the npm registry with this machine's CA file and npmrc).
# The settings go into a containers.conf named by CONTAINERS_CONF, so plain `podman` and `podman-compose` started
# from this shell use them too. Sourcing again reuses the file (callers that source it per command make one).
if [ -z "${CONTAINERS_CONF:-}" ] || ! grep -q '^# wx-backend podman settings' "$CONTAINERS_CONF" 2>/dev/null; then
  conf=$(mktemp -t wx-containers.XXXXXX.conf)
  printf '# wx-backend podman settings\n[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\n' >"$conf"
  export CONTAINERS_CONF=$conf
fi
# wxpodman ARGS…: podman with the runtime that works here.
wxpodman() { podman --runtime runc "$@"; }
# wxbuild ARGS…: `podman build` that can reach the npm registry from RUN steps; images come from local storage only.
wxbuild() {
  local mounts=(-v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro)
  [ -f /etc/npmrc ] && mounts+=(-v /etc/npmrc:/usr/local/etc/npmrc:ro)
  podman --runtime runc build --pull=never --network host "${mounts[@]}" "$@"
}
