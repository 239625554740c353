#!/usr/bin/env bash
# The main job on examples/, end to end on this machine: validate, plan, build in graph order
# with buildah, push to a throwaway local registry, smoke-test, then promote `test` to
# `latest` by digest. Needs root and Debian's docker-registry, buildah, skopeo and
# busybox-static (see the README). Nothing leaves 127.0.0.1; everything is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
cli=(node dist/cli/index.js)
for tool in docker-registry buildah skopeo busybox; do
  command -v "$tool" >/dev/null || { echo "demo: '$tool' is missing; apt-get install docker-registry buildah skopeo busybox-static" >&2; exit 1; }
done

work=$(mktemp -d /tmp/build-image-demo.XXXXXX)
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
registry="127.0.0.1:$port"
storage=(--storage-driver vfs --root "$work/storage" --runroot "$work/run")
cleanup() {
  [ -n "${registry_pid:-}" ] && kill "$registry_pid" 2>/dev/null || true
  buildah "${storage[@]}" rm --all >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== a throwaway registry on $registry"
cat > "$work/registry.yml" <<YAML
version: 0.1
log: { level: error, accesslog: { disabled: true } }
storage: { filesystem: { rootdirectory: $work/registry }, delete: { enabled: true } }
http: { addr: $registry, secret: demo }
YAML
docker-registry serve "$work/registry.yml" 2>"$work/registry.log" &
registry_pid=$!
node -e 'const u=process.argv[1];(async()=>{for(let i=0;i<150;i++){try{await fetch(u);return}catch{}await new Promise(r=>setTimeout(r,100))}process.exit(1)})()' "http://$registry/v2/"

echo "== the examples' upstream base: busybox-static as $registry/library/busybox:1.36"
c=$(buildah "${storage[@]}" from scratch)
buildah "${storage[@]}" copy "$c" /bin/busybox /bin/busybox >/dev/null
buildah "${storage[@]}" run --isolation chroot "$c" -- /bin/busybox --install -s /bin
buildah "${storage[@]}" run --isolation chroot "$c" -- /bin/sh -c 'mkdir -p /tmp /etc && echo "root:x:0:0:root:/root:/bin/sh" > /etc/passwd'
buildah "${storage[@]}" config --cmd /bin/sh --env PATH=/bin "$c"
buildah "${storage[@]}" commit -q "$c" "$registry/library/busybox:1.36" >/dev/null
buildah "${storage[@]}" push -q --tls-verify=false "$registry/library/busybox:1.36"
buildah "${storage[@]}" rm "$c" >/dev/null

echo
echo "== build-image validate examples"
"${cli[@]}" validate examples
echo
echo "== build-image plan examples"
"${cli[@]}" plan examples --build-arg "BASE_IMAGE=$registry/library/busybox:1.36"
echo
echo "== build-image build examples --registry $registry --insecure"
TMPDIR="$work" "${cli[@]}" build examples --builder buildah --registry "$registry" --insecure \
  --build-arg "BASE_IMAGE=$registry/library/busybox:1.36" --format json | tee "$work/report.json"
echo
echo "== build-image promote: test -> latest, by digest, all or nothing"
"${cli[@]}" promote "$registry/acme/base" "$registry/acme/golden" --from test --to latest --insecure
"${cli[@]}" promote "$registry/acme/team-dev" --from ubuntu-test --to ubuntu --insecure
echo
echo "== what landed"
for ref in acme/base:latest acme/golden:latest acme/team-dev:ubuntu; do
  printf '%-22s %s\n' "$ref" "$(skopeo inspect --tls-verify=false --format '{{.Digest}} {{len .Layers}} layers' "docker://$registry/$ref")"
done
