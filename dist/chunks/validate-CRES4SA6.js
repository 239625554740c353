import{createRequire as __biRequire}from'node:module';const require=__biRequire(import.meta.url);
import{oneOf,parseBuildArgs,parseCommandArgs}from"./chunk-X3LEBQQE.js";import{formatProblem,githubAnnotation,validateRepo}from"./chunk-6GP3HUIR.js";import"./chunk-46HAASCV.js";import"./chunk-7L5R5EDN.js";import"./chunk-HP3SL4J2.js";import"./chunk-SCVEVBWP.js";import"./chunk-MESR2NRX.js";import"./chunk-F4ASIJAT.js";import{UsageError}from"./chunk-LBQD7ANG.js";var help=`Usage: build-image validate [DIR] [options]

Checks every template under DIR (default: the current directory): .coder/images,
.coder/environments, .coder/secrets and the images/<name>/Dockerfile layout. Reports every
problem with file, line and column. Exit 0 when valid, 1 when there is any problem, 2 on a
usage error.

Options:
  --format text|json|github   Output format (default: text). github prints workflow
                              commands that annotate the pull request diff.
  --credentials NAMES         Comma-separated credential names that exist; templates naming
                              others are reported. Not checked when omitted.
  --convention-registry R     Repository prefix for images/<name>/Dockerfile images.
  --build-arg NAME=VALUE      Value for a parameter or ARG, as the build will get it
                              (repeatable).
  -h, --help                  Show this help.
`,validateCommand={name:"validate",summary:"check templates and report every problem with file and line",help,async run(args,io){let{values,positionals}=parseCommandArgs("validate",args,{format:{type:"string"},credentials:{type:"string"},"convention-registry":{type:"string"},"build-arg":{type:"string",multiple:!0}});if(positionals.length>1)throw new UsageError(`validate: expected at most one DIR, got ${positionals.length}`);let format=oneOf("validate","format",values.format,["text","json","github"],"text"),dir=positionals[0]??io.cwd,{repo,problems}=validateRepo(dir,{credentialNames:values.credentials?.split(",").map(s=>s.trim()).filter(Boolean),conventionRegistry:values["convention-registry"],buildArgs:parseBuildArgs("validate",values["build-arg"])});if(format==="json")io.out(JSON.stringify({valid:problems.length===0,problems:problems.map(({file,line,column,message})=>({file,line,column,message}))},null,2)+`
`);else if(format==="github")for(let p of problems)io.out(githubAnnotation(p)+`
`);else{for(let p of problems)io.out(formatProblem(p)+`
`);let counts=`${repo.images.length} images, ${repo.environments.length} environments, ${repo.secrets.length} secrets`;problems.length===0?io.out(`valid: ${counts}
`):io.err(`${problems.length} problem${problems.length===1?"":"s"} in ${new Set(problems.map(p=>p.file)).size} file(s)
`)}return problems.length===0?0:1}};export{validateCommand};
