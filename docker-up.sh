#!/usr/bin/env sh
# Starts wx-backend and Redis with docker-compose.yml. Arguments go to compose as they are; with none it runs
# `up -d --build`. Examples:
#   ./docker-up.sh                      # build and start in the background
#   ./docker-up.sh logs -f wx-backend   # follow the service's logs
#   ./docker-up.sh down                 # stop and remove the containers (data/, logs/ and Redis data stay)
# Uses `docker compose`, else `docker-compose`, else `podman-compose`.
set -eu
cd "$(dirname "$0")"

if [ ! -f .env ]; then
  echo "docker-up.sh: there is no .env here yet. Copy the example and fill in your WeChat and AI settings:" >&2
  echo "  cp .env.example .env" >&2
  exit 1
fi

[ "$#" -gt 0 ] || set -- up -d --build
if docker compose version >/dev/null 2>&1; then
  set -- docker compose "$@"
elif command -v docker-compose >/dev/null 2>&1; then
  set -- docker-compose "$@"
elif command -v podman-compose >/dev/null 2>&1; then
  set -- podman-compose "$@"
else
  echo "docker-up.sh: found neither 'docker compose', 'docker-compose' nor 'podman-compose'; install Docker first." >&2
  exit 1
fi

# The service runs as uid 1000 (user `node`) and writes the access-token cache to data/ and log files to logs/.
mkdir -p data logs
for folder in data logs; do
  [ "$(ls -nd "$folder" | awk '{print $3}')" = 1000 ] && continue
  if [ "$(id -u)" = 0 ]; then
    chown 1000:1000 "$folder"
  else
    echo "docker-up.sh: $folder/ is not owned by uid 1000, the container's user; if the service cannot write to it:" >&2
    echo "  sudo chown -R 1000:1000 data logs" >&2
  fi
done

exec "$@"
