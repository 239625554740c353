"use strict";var __defProp=Object.defineProperty;var __getOwnPropDesc=Object.getOwnPropertyDescriptor;var __getOwnPropNames=Object.getOwnPropertyNames;var __hasOwnProp=Object.prototype.hasOwnProperty;var __export=(target,all)=>{for(var name in all)__defProp(target,name,{get:all[name],enumerable:!0})},__copyProps=(to,from,except,desc)=>{if(from&&typeof from=="object"||typeof from=="function")for(let key of __getOwnPropNames(from))!__hasOwnProp.call(to,key)&&key!==except&&__defProp(to,key,{get:()=>from[key],enumerable:!(desc=__getOwnPropDesc(from,key))||desc.enumerable});return to};var __toCommonJS=mod=>__copyProps(__defProp({},"__esModule",{value:!0}),mod);var init_exports={};__export(init_exports,{initCommand:()=>initCommand});module.exports=__toCommonJS(init_exports);var import_node_fs=require("node:fs"),import_node_path=require("node:path");var import_node_util=require("node:util");var USER_ERROR=Symbol.for("build-image.UserError"),UserError=class extends Error{constructor(message,exitCode=1){super(message);this.exitCode=exitCode;this.name="UserError"}exitCode;[USER_ERROR]=!0};var UsageError=class extends UserError{constructor(message){super(message,2),this.name="UsageError"}};var MAX_STDOUT=16*1024*1024;function parseCommandArgs(command,args,options,allowPositionals=!0){try{return(0,import_node_util.parseArgs)({args,options,allowPositionals,strict:!0})}catch(err){let message=(err!==null&&typeof err=="object"&&"message"in err?String(err.message):String(err)).replace(/\. To specify a positional.*$/s,"");throw new UsageError(`${command}: ${message}
Run 'build-image ${command} --help' for usage.`)}}var STARTERS={"build-images.yml":`# Starter workflow (written by \`build-image init\`): validate the templates, plan, build what
# changed in graph order with kaniko on your self-hosted Kubernetes runners, smoke-test, and
# promote what passed to \`latest\` on the default branch. Set \`registry\` (and the runner
# labels) below. The actions are pinned to one release of build-image: change every @v1
# together.
name: images
on:
  push:
    branches: [main]
  pull_request: {}
  workflow_dispatch:
    inputs:
      images:
        description: "Images to build: changed, all, or names (comma-separated)"
        type: string
        default: changed
permissions:
  contents: read
concurrency:
  # Two runs of one branch never build or promote at the same time.
  group: images-\${{ github.ref }}
  cancel-in-progress: false
jobs:
  validate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: coder/build-image/actions/validate@v1   # one annotation per problem on the diff
  plan:
    needs: validate
    runs-on: ubuntu-latest
    outputs:
      has-images: \${{ steps.plan.outputs.has-images }}
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0   # change detection compares with the previous commit
      - id: plan
        uses: coder/build-image/actions/plan@v1
        with:
          since: \${{ github.event_name == 'push' && github.event.before || github.event.pull_request.base.sha || '' }}
          images: \${{ inputs.images != 'changed' && inputs.images || '' }}
  images:
    needs: plan
    # Nothing to build: skip. A pull request from a fork never runs on your self-hosted runners.
    if: needs.plan.outputs.has-images == 'true' && (github.event_name != 'pull_request' || github.event.pull_request.head.repo.full_name == github.repository)
    runs-on: [self-hosted, kubernetes]   # a runner pod whose service account may create pods, pods/exec and secrets
    permissions:
      contents: read
      packages: write
    outputs:
      images: \${{ steps.build.outputs.images }}
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - id: build
        uses: coder/build-image@v1   # validate, plan, build in order, push \`test\`, smoke-test
        with:
          registry: ghcr.io/\${{ github.repository_owner }}   # lowercased for you
          images: \${{ inputs.images || 'changed' }}
          credentials: |
            ghcr:
              registry: ghcr.io
              username: \${{ github.actor }}
              password: \${{ secrets.GITHUB_TOKEN }}
  promote:
    needs: images
    # Runs when some images failed too: what built and passed its smoke tests is promoted,
    # the rest is listed in the summary with why.
    if: \${{ !cancelled() && needs.images.outputs.images != '' && github.ref == format('refs/heads/{0}', github.event.repository.default_branch) }}
    runs-on: [self-hosted, kubernetes]
    permissions:
      contents: read
      packages: write
    steps:
      - uses: coder/build-image/actions/promote@v1   # test -> latest, by digest
        with:
          built: \${{ needs.images.outputs.images }}
          credentials: |
            ghcr:
              registry: ghcr.io
              username: \${{ github.actor }}
              password: \${{ secrets.GITHUB_TOKEN }}
`,"create-environment.yml":`# Starter workflow: deploy, inspect or delete a development environment by hand (Actions tab ->
# environment -> Run workflow). Copy it to .github/workflows/, list your environments under
# \`options\`, and set \`registry\`. Put the age identity that decrypts .coder/secrets/ in the
# repository secret AGE_IDENTITY, and the registry login (the credentials text, see
# docs/registry.md) in REGISTRY_CREDENTIALS.
name: environment
on:
  workflow_dispatch:
    inputs:
      environment:
        description: Environment
        type: choice
        options: [team-a]            # the names in .coder/environments/
      operation:
        description: What to do
        type: choice
        options: [up, status, down]
        default: up
      ref:
        description: Branch, tag or commit of the templates (empty = this branch)
        type: string
        default: ''
permissions: { contents: read, packages: write }
jobs:
  environment:
    uses: coder/build-image/.github/workflows/create-environment.yml@v1
    with:
      environment: \${{ inputs.environment }}
      operation: \${{ inputs.operation }}
      ref: \${{ inputs.ref }}
      registry: ghcr.io/\${{ github.repository_owner }}
    secrets:
      age-identity: \${{ secrets.AGE_IDENTITY }}
      credentials: \${{ secrets.REGISTRY_CREDENTIALS }}
`,"nightly.yml":`# Starter workflow for a template repository: every night, rebuild the images whose outside
# base moved, whose linked source repositories gained commits, or whose parent is rebuilt,
# then promote what passed its smoke tests. When nothing moved, nothing is built or pushed.
# Copy it to .github/workflows/ and set \`registry\` (lowercase). Run it by hand with force to
# rebuild everything.
name: nightly images
on:
  schedule:
    - cron: "17 3 * * *"
  workflow_dispatch:
    inputs:
      force:
        description: Rebuild every image, whatever moved
        type: boolean
        default: false
permissions:
  contents: read
jobs:
  nightly:
    uses: coder/build-image/.github/workflows/nightly.yml@v1
    permissions:
      contents: read
      packages: write
    with:
      registry: ghcr.io/acme
      force: \${{ inputs.force == true }}
    secrets: inherit
`,"reusable.yml":`# Starter workflow (written by \`build-image init\`): call build-image's reusable workflow
# instead of listing the jobs yourself. GitHub runs it on runners of YOUR repository's
# organisation only when it is in the same organisation or enterprise as build-image; from
# another organisation it cannot use your self-hosted runners (see docs/workflows.md), so
# this form suits GitHub-hosted runners with builder: buildah.
name: images
on:
  push:
    branches: [main]
  pull_request: {}
permissions:
  contents: read
  packages: write
concurrency:
  group: images-\${{ github.ref }}
  cancel-in-progress: false
jobs:
  images:
    uses: coder/build-image/.github/workflows/build-images.yml@v1
    with:
      registry: ghcr.io/\${{ github.repository_owner }}
      builder: buildah
      runs-on: '"ubuntu-latest"'
    secrets:
      credentials: |
        ghcr:
          registry: ghcr.io
          username: \${{ github.actor }}
          password: \${{ secrets.GITHUB_TOKEN }}
`,"validate-and-plan.yml":`# Starter workflow (written by \`build-image init\`): validate every template on pull requests
# and pushes, annotate problems on the diff, and plan what changed (the graph and why each
# image would be built, in the job summary). Runs on GitHub-hosted runners; builds nothing.
name: templates
on:
  push:
    branches: [main]
  pull_request: {}
permissions:
  contents: read
jobs:
  validate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: coder/build-image/actions/validate@v1
        with:
          templates: .
  plan:
    needs: validate
    runs-on: ubuntu-latest
    outputs:
      matrix: \${{ steps.plan.outputs.matrix }}
      has-images: \${{ steps.plan.outputs.has-images }}
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0   # change detection needs the previous commit
      - id: plan
        uses: coder/build-image/actions/plan@v1
        with:
          templates: .
          since: \${{ github.event_name == 'push' && github.event.before || github.event.pull_request.base.sha || '' }}
  images:
    needs: plan
    # An empty matrix fails a job: skip it when nothing changed.
    if: needs.plan.outputs.has-images == 'true'
    runs-on: ubuntu-latest
    strategy:
      matrix: \${{ fromJSON(needs.plan.outputs.matrix) }}
    steps:
      - run: echo "would build $IMAGES from $CONTEXT ($DOCKERFILE)"
        env:
          IMAGES: \${{ matrix.images }}
          CONTEXT: \${{ matrix.context }}
          DOCKERFILE: \${{ matrix.dockerfile }}
`};var STARTER_FILES=Object.keys(STARTERS).sort();function pinStarter(file,ref){let text=STARTERS[file];if(text===void 0)throw new Error(`no starter workflow ${file}`);return text.replace(/(uses:\s*coder\/build-image(?:\/[\w./-]+)?)@v1\b/g,`$1@${ref}`)}var VERSION="0.1.0";var HELP=`Usage: build-image init [DIR] [--ref REF] [--force]

Writes starter workflows into DIR/.github/workflows/ (DIR defaults to the current
directory, the root of your template repository):

  build-images.yml       validate, plan, build what changed with kaniko on your self-hosted
                         Kubernetes runners, smoke-test, promote what passed on the default
                         branch; fork pull requests never reach the self-hosted runners
  validate-and-plan.yml  validate and plan on GitHub-hosted runners, with the matrix outputs
  reusable.yml           call build-image's reusable workflow instead (same organisation, or
                         GitHub-hosted runners: see docs/workflows.md)

Every coder/build-image action is called at REF: by default this release's tag (v${VERSION}),
so the workflows keep running the code you tried, not a moving tag. Give a commit SHA to pin
harder. Existing files are left alone unless --force is given.

Options:
  --ref REF     the tag, branch or commit of coder/build-image to call (default v${VERSION})
  --force       overwrite existing workflow files
  -h, --help    show this help
`,initCommand={name:"init",summary:"write starter workflows into a repository, calling the actions pinned to a release",help:HELP,async run(args,io){let{values,positionals}=parseCommandArgs("init",args,{ref:{type:"string"},force:{type:"boolean"}});if(positionals.length>1)throw new UsageError(`init: give at most one directory
Run 'build-image init --help' for usage.`);let ref=values.ref??`v${VERSION}`;if(!/^[A-Za-z0-9][A-Za-z0-9._\-/]{0,199}$/.test(ref)||ref.includes(".."))throw new UsageError(`init: --ref '${ref}' is not a tag, branch or commit name`);let dir=(0,import_node_path.resolve)(io.cwd,positionals[0]??".");if(!(0,import_node_fs.existsSync)(dir)||!(0,import_node_fs.statSync)(dir).isDirectory())throw new UserError(`init: no such directory: ${dir}`);let target=(0,import_node_path.join)(dir,".github","workflows"),existing=STARTER_FILES.filter(f=>(0,import_node_fs.existsSync)((0,import_node_path.join)(target,f)));if(existing.length>0&&!values.force)throw new UserError(`init: ${existing.map(f=>(0,import_node_path.relative)(io.cwd,(0,import_node_path.join)(target,f))||f).join(", ")} already exist(s); nothing written (--force overwrites)`);(0,import_node_fs.mkdirSync)(target,{recursive:!0});for(let file of STARTER_FILES)(0,import_node_fs.writeFileSync)((0,import_node_path.join)(target,file),pinStarter(file,ref)),io.out(`wrote ${(0,import_node_path.relative)(io.cwd,(0,import_node_path.join)(target,file))||file}
`);return io.err(`The actions are called at coder/build-image@${ref}. Next: set 'registry' (and the runner labels) in build-images.yml.
`),0}};0&&(module.exports={initCommand});
