import{createRequire as __biRequire}from'node:module';const require=__biRequire(import.meta.url);
import{oneOf,parseBuildArgs,parseCommandArgs}from"./chunk-X3LEBQQE.js";import{formatPlanText,planToJson}from"./chunk-IKC6SOXM.js";import{InvalidTemplatesError,createPlan,formatProblem}from"./chunk-6GP3HUIR.js";import"./chunk-46HAASCV.js";import"./chunk-7L5R5EDN.js";import"./chunk-HP3SL4J2.js";import"./chunk-SCVEVBWP.js";import"./chunk-MESR2NRX.js";import"./chunk-F4ASIJAT.js";import"./chunk-LBQD7ANG.js";function id(name){return`n_${name.replace(/[^A-Za-z0-9_]/g,"_")}`}function toMermaid(plan){let lines=["flowchart TD"],names=Object.keys(plan.images).sort();for(let name of names){let image=plan.images[name];lines.push(`  ${id(name)}["${name}<br/><small>${image.repository}</small>"]`)}for(let name of names)for(let parent of plan.images[name].parents)lines.push(`  ${id(parent)} --> ${id(name)}`);let selected=names.filter(n=>plan.images[n].selected),unchanged=names.filter(n=>!plan.images[n].selected);return lines.push("  classDef build fill:#dbeafe,stroke:#2563eb;","  classDef keep fill:#f3f4f6,stroke:#9ca3af,color:#6b7280;"),selected.length>0&&lines.push(`  class ${selected.map(id).join(",")} build;`),unchanged.length>0&&lines.push(`  class ${unchanged.map(id).join(",")} keep;`),lines.join(`
`)+`
`}var help=`Usage: build-image plan [DIR] [IMAGE...] [options]

Prints the build plan for the templates under DIR (default: the current directory): the
images in dependency order (parents first), grouped into levels, and why each is built.

Options:
  --since REV                 Build only images changed since REV (a commit, tag or
                              branch), and everything built on them.
  --format text|json|mermaid  Output format (default: text).
  --convention-registry R     Repository prefix for images/<name>/Dockerfile images.
  --build-arg NAME=VALUE      Override a parameter or ARG default in every image that
                              declares it (repeatable).
  --branch NAME               The branch being built: a FROM naming an image's branch
                              tag then builds on that image (its test, commit and fixed
                              tags always do).
  -h, --help                  Show this help.

IMAGE names restrict the plan to those images. With --format json, invalid templates print
{"valid": false, "problems": [...]} and exit 1.
`,planCommand={name:"plan",summary:"print the build order, levels and the reason each image is built",help,async run(args,io){let{values,positionals}=parseCommandArgs("plan",args,{since:{type:"string"},format:{type:"string"},"convention-registry":{type:"string"},"build-arg":{type:"string",multiple:!0},branch:{type:"string"}}),format=oneOf("plan","format",values.format,["text","json","mermaid"],"text"),[dir=io.cwd,...names]=positionals;try{let plan=await createPlan(dir,{since:values.since,names,conventionRegistry:values["convention-registry"],buildArgs:parseBuildArgs("plan",values["build-arg"]),branch:values.branch});return format==="json"?io.out(JSON.stringify(planToJson(plan),null,2)+`
`):format==="mermaid"?io.out(toMermaid(plan)):io.out(formatPlanText(plan)),0}catch(err){if(!(err instanceof InvalidTemplatesError))throw err;if(format==="json")return io.out(JSON.stringify({valid:!1,problems:err.problems.map(({file,line,column,message})=>({file,line,column,message}))},null,2)+`
`),1;for(let p of err.problems)io.err(formatProblem(p)+`
`);return io.err(`plan: the templates have ${err.problems.length} problem(s); fix them first (build-image validate)
`),1}}};export{planCommand};
