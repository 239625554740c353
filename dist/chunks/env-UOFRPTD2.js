import{createRequire as __biRequire}from'node:module';const require=__biRequire(import.meta.url);
import{credentialsFrom,oneOf,parseCommandArgs}from"./chunk-X3LEBQQE.js";import{abortOnSignals}from"./chunk-LXI772WZ.js";import{OPERATIONS,runEnvironment,secretValuesFromRepo}from"./chunk-XVR7C7YJ.js";import"./chunk-LYZKZYI6.js";import"./chunk-47OEYNGE.js";import"./chunk-HFD6S64X.js";import{BUILDER_KINDS,createBuilder}from"./chunk-TUV5CMNS.js";import"./chunk-WPI72ZRQ.js";import"./chunk-WM24PMUD.js";import{InvalidTemplatesError,formatProblem}from"./chunk-6GP3HUIR.js";import{identityTexts,resolveRoot}from"./chunk-46HAASCV.js";import"./chunk-7L5R5EDN.js";import"./chunk-HP3SL4J2.js";import"./chunk-SCVEVBWP.js";import"./chunk-6NEUU6KH.js";import"./chunk-PP7AUCH2.js";import{parseReference}from"./chunk-MESR2NRX.js";import"./chunk-F4ASIJAT.js";import{UsageError}from"./chunk-LBQD7ANG.js";import{resolve}from"node:path";var help=`Usage: build-image env build|up|status|down NAME [DIR] [options]

Development environments from .coder/environments/NAME.yaml under DIR (default: the current
directory).

  build    Build the personalised image: the primary container's image (a template of this
           repository, or of 'github: owner/repo' at 'tag', or a devcontainer.json), the
           platform's assets copied to /tmp/coder, and the 'personalize' steps, one layer
           each. Pushed as <registry>/.../env-NAME:build-<ID>, where the build ID hashes the
           parent digest, the assets and the steps: the same inputs reuse the image.
  up       build, then create or update the Deployment (one replica: the primary container
           and its sidecars), its Secrets and volumes, and wait until it is rolled out.
           An unchanged environment changes nothing ("NAME is up to date").
  status   The rollout verdict and a table per container.
  down     Delete the Deployment and its Secrets; volumes stay unless --delete-volumes.

Options:
  --builder buildah|kaniko    How to build the personalised image (default buildah).
  --registry R                Registry the templates' images were pushed to and the
                              personalised image goes to (as 'build --registry').
  --insecure                  The --registry speaks plain HTTP or has a self-signed
                              certificate.
  --assets DIR                The platform's assets, copied into the image at /tmp/coder.
  --assets-image IMAGE        ...or an image whose files are copied there instead.
  --image-repository REPO     Push the personalised image here (default: beside its parent,
                              named env-NAME).
  --github-server-url URL     Where 'github: owner/repo' is fetched from (default
                              $GITHUB_SERVER_URL or https://github.com; token: $GITHUB_TOKEN).
  --credentials FILE          Named registry credentials (as for 'build').
  --identity FILE             age key file that decrypts .coder/secrets/ (default
                              $SOPS_AGE_KEY, the file $SOPS_AGE_KEY_FILE, else
                              ~/.config/sops/age/keys.txt, as the secret commands).
  --namespace NS              Kubernetes namespace (default: the current context's).
  --kubeconfig PATH           kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config).
  --timeout SECONDS           How long 'up' waits for the rollout (default 600).
  --min-ready SECONDS         How long the pod must stay ready to count as up (default 3;
                              a container that dies sooner fails the rollout).
  --delete-volumes            down: delete the environment's volumes too.
  --dry-run                   build/up: print the personalised Dockerfile, the Secrets
                              (values redacted) and the Deployment; change nothing.
  --format text|json          Output format (default text).
  -h, --help                  Show this help.

Exit code 0 when the operation succeeded (for up and status: the environment is ready),
1 when it failed (the reason, a table per container and the last log lines are printed),
2 for bad usage.
`,envCommand={name:"env",summary:"build, deploy, inspect and delete development environments (build|up|status|down)",help,async run(args,io){let{values,positionals}=parseCommandArgs("env",args,{builder:{type:"string"},registry:{type:"string"},insecure:{type:"boolean"},assets:{type:"string"},"assets-image":{type:"string"},"image-repository":{type:"string"},"github-server-url":{type:"string"},credentials:{type:"string"},identity:{type:"string"},namespace:{type:"string"},kubeconfig:{type:"string"},timeout:{type:"string"},"min-ready":{type:"string"},"delete-volumes":{type:"boolean"},"dry-run":{type:"boolean"},format:{type:"string"}}),[operationArg,name,dirArg=".",...extra]=positionals;if(operationArg===void 0)throw new UsageError(`env: name an operation (${OPERATIONS.join(", ")})
Run 'build-image env --help' for usage.`);if(!OPERATIONS.includes(operationArg))throw new UsageError(`env: unknown operation '${operationArg}'; use one of ${OPERATIONS.join(", ")}`);let operation=operationArg;if(name===void 0)throw new UsageError(`env ${operation}: name the environment (a file in .coder/environments/)`);if(extra.length>0)throw new UsageError(`env ${operation}: unexpected arguments: ${extra.join(" ")}`);let kind=oneOf("env","builder",values.builder,BUILDER_KINDS,"buildah"),format=oneOf("env","format",values.format,["text","json"],"text");if(values.insecure&&!values.registry)throw new UsageError("env: --insecure needs --registry (the registry it applies to)");if(values["delete-volumes"]&&operation!=="down")throw new UsageError("env: --delete-volumes applies to down");let timeoutMs;if(values.timeout!==void 0){let seconds=Number(values.timeout);if(!Number.isFinite(seconds)||seconds<=0)throw new UsageError(`env: --timeout must be a number of seconds, not '${values.timeout}'`);timeoutMs=seconds*1e3}let minReadySeconds;if(values["min-ready"]!==void 0&&(minReadySeconds=Number(values["min-ready"]),!Number.isInteger(minReadySeconds)||minReadySeconds<0))throw new UsageError(`env: --min-ready must be a whole number of seconds, not '${values["min-ready"]}'`);let registry=values.registry,insecureRegistries=values.insecure&&registry?[parseReference(`${registry.replace(/\/+$/,"")}/x`).registry]:[],credentials=credentialsFrom("env",values.credentials,io),identity=identityTexts({...values.identity?{identityFile:resolve(io.cwd,values.identity)}:{},env:io.env}).map(t=>t.text).join(`
`),kubeconfig=values.kubeconfig?resolve(io.cwd,values.kubeconfig):void 0,cancellation=abortOnSignals(()=>io.err(`env ${operation}: cancelling
`));try{let result=await runEnvironment({operation,dir:resolve(io.cwd,dirArg),name,...registry?{registry}:{},insecureRegistries,credentials,builder:()=>createBuilder(kind,{credentials,...values.namespace?{namespace:values.namespace}:{},...kubeconfig?{kubeconfig}:{}}),...values.namespace?{namespace:values.namespace}:{},...kubeconfig?{kubeconfig}:{},...values.assets||values["assets-image"]?{assets:{...values.assets?{folder:resolve(io.cwd,values.assets)}:{},...values["assets-image"]?{image:values["assets-image"]}:{}}}:{},githubServerUrl:values["github-server-url"]??io.env.GITHUB_SERVER_URL??"https://github.com",...io.env.GITHUB_TOKEN?{githubToken:io.env.GITHUB_TOKEN}:{},...values["image-repository"]?{imageRepository:values["image-repository"]}:{},...identity?{secrets:secretValuesFromRepo(resolveRoot(resolve(io.cwd,dirArg)),identity)}:{},...timeoutMs?{timeoutMs}:{},...minReadySeconds!==void 0?{minReadySeconds}:{},...values["delete-volumes"]?{deleteVolumes:!0}:{},dryRun:values["dry-run"]===!0,log:line=>io.err(`${name} | ${line}
`),signal:cancellation.signal});return format==="json"?io.out(JSON.stringify({ok:result.ok,...result.image?{image:result.image.reference,buildId:result.image.buildId,..."digest"in result.image?{digest:result.image.digest,reused:result.image.reused}:{}}:{},...result.up?{change:result.up.change}:{},...result.status?{status:result.status}:{},...result.down?{down:result.down}:{}},null,2)+`
`):io.out(result.text),result.ok?0:1}catch(err){if(!(err instanceof InvalidTemplatesError))throw err;for(let p of err.problems)io.err(formatProblem(p)+`
`);return io.err(`env: the templates have ${err.problems.length} problem(s); fix them first (build-image validate)
`),1}finally{cancellation.dispose()}}};export{envCommand};
