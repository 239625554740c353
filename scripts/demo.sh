#!/usr/bin/env bash
# The main job on examples/, end to end on this machine: validate, plan, build in graph order
# with buildah, push to a throwaway local registry, smoke-test, then promote `test` to
# `latest` by digest; then deploy the team-a environment on a Kubernetes simulator and show
# what kubectl sees. Needs root and Debian's docker-registry, buildah, skopeo, busybox-static,
# age and kubectl (see the README). Nothing leaves 127.0.0.1; everything is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
cli=(node dist/cli/index.js)
for tool in docker-registry buildah skopeo busybox age-keygen kubectl; do
  command -v "$tool" >/dev/null || { echo "demo: '$tool' is missing; apt-get install docker-registry buildah skopeo busybox-static age kubectl" >&2; exit 1; }
done

work=$(mktemp -d /tmp/build-image-demo.XXXXXX)
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
registry="127.0.0.1:$port"
storage=(--storage-driver vfs --root "$work/storage" --runroot "$work/run")
cleanup() {
  if [ -n "${sim_pid:-}" ]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
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

echo
echo "== a Kubernetes simulator (API server, controllers, a kubelet that runs pods with buildah)"
kubeconfig="$work/kubeconfig"
TMPDIR="$work" node_modules/.bin/tsx test/kube-sim/standalone.ts --kubeconfig "$kubeconfig" --registry "$registry" --namespace demo >"$work/kube-sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 1 300); do grep -q 'kube-sim ready' "$work/kube-sim.log" && break; kill -0 "$sim_pid" 2>/dev/null || { cat "$work/kube-sim.log" >&2; exit 1; }; sleep 0.1; done
head -1 "$work/kube-sim.log"
k=(kubectl --kubeconfig "$kubeconfig" -n demo)

echo
echo "== team-a's template repository for the demo: examples/, with stand-ins for what is not on this machine"
# The environment uses the promoted team-dev (no 'tag'); busybox stands in for postgres:16; both
# containers get a long-running command; the secret 'db' is re-created for a throwaway demo key
# (the example's private keys are the team's own).
templates="$work/templates"
cp -r examples "$templates"
sed -i -e '/^    tag: main$/d' \
  -e "s|^    primary: true$|    primary: true\n    command: [sh, -c, 'echo \"workspace ready as \$(id -un)\"; exec sleep 86400']|" \
  -e "s|^    image: postgres:16$|    image: $registry/library/busybox:1.36\n    command: [sh, -c, 'echo \"database system is ready to accept connections (\$POSTGRES_DB)\"; exec sleep 86400']|" \
  "$templates/.coder/environments/team-a.yaml"
age-keygen -o "$work/age.key" 2>/dev/null
rm "$templates/.coder/secrets/db.yaml"
"${cli[@]}" secret create db --dir "$templates" --from-literal password=demo-only-password --recipient "$(age-keygen -y "$work/age.key")"
mkdir -p "$work/assets/bin"
echo "Welcome to your Coder workspace" > "$work/assets/motd"
printf '#!/bin/sh\necho "coder agent (demo)"\n' > "$work/assets/bin/agent" && chmod +x "$work/assets/bin/agent"
env_args=(team-a "$templates" --registry "$registry" --insecure --namespace demo --kubeconfig "$kubeconfig" --identity "$work/age.key" --assets "$work/assets")

echo
echo "== build-image env up team-a --dry-run: the personalised Dockerfile, the Secret (redacted) and the Deployment"
"${cli[@]}" env up "${env_args[@]}" --dry-run | awk '/^---$/ { n++ } n < 2' | head -40
echo "   ..."
echo
echo "== build-image env up team-a: personalise team-dev, push it by build ID, deploy, wait for the rollout"
start=$(date +%s%N)
TMPDIR="$work" "${cli[@]}" env up "${env_args[@]}"
fresh_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo
echo "== what kubectl shows"
"${k[@]}" get deployments,replicasets,pods,secrets -l build-image.coder.com/environment=team-a
"${k[@]}" rollout status deployment/team-a
pod=$("${k[@]}" get pods -l build-image.coder.com/environment=team-a -o name | head -1)
echo "\$ kubectl exec $pod -c env -- cat /home/coder/.personalised /tmp/coder/motd"
"${k[@]}" exec "$pod" -c env -- cat /home/coder/.personalised /tmp/coder/motd
echo "\$ kubectl logs $pod -c postgres"
"${k[@]}" logs "$pod" -c postgres
echo
echo "== build-image env up team-a again: same inputs, same image, nothing to change"
start=$(date +%s%N)
TMPDIR="$work" "${cli[@]}" env up "${env_args[@]}" 2>/dev/null | head -1
cached_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "   env up to ready: ${fresh_ms} ms with a fresh personalised image, ${cached_ms} ms when nothing changed"
echo
echo "== build-image env down team-a"
"${cli[@]}" env down team-a "$templates" --namespace demo --kubeconfig "$kubeconfig"
echo "\$ kubectl get all,secrets -l build-image.coder.com/environment=team-a"
"${k[@]}" get deployments,replicasets,pods,secrets -l build-image.coder.com/environment=team-a 2>&1
