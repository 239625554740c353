import{createRequire as __biRequire}from'node:module';const require=__biRequire(import.meta.url);
import{parseCommandArgs}from"./chunk-X3LEBQQE.js";import"./chunk-7L5R5EDN.js";import"./chunk-HP3SL4J2.js";import{promote,requestsFromReferences}from"./chunk-PAV5BVUC.js";import"./chunk-CW3QDS4Q.js";import{createRegistryClient}from"./chunk-6NEUU6KH.js";import"./chunk-PP7AUCH2.js";import{parseDigest}from"./chunk-MESR2NRX.js";import"./chunk-F4ASIJAT.js";import{UsageError}from"./chunk-LBQD7ANG.js";var HELP=`Usage: build-image promote REPO[:TAG][@DIGEST]... (--from TAG | --digest sha256:...) --to TAG[,TAG...] [--insecure]

Moves the target tags of each repository to the image that passed its tests, by digest:
a manifest put in the same repository (no layers move), a blob mount when the target is
another repository of the same registry, a streamed copy across registries.

Several REPO arguments are promoted as a set, all or nothing: every one is checked first;
if a move fails, the tags already moved are put back.

Options:
  --from TAG         the tag that was tested (e.g. test); with --digest, it must still
                     point at that digest or nothing is promoted
  --digest DIGEST    the digest that passed its tests
  --to TARGETS       comma-separated tags (default latest); an entry with a '/' is a full
                     reference (host/repo:tag) in another repository or registry
  --insecure         reach these registries over plain HTTP or TLS without verification
  -h, --help         show this help

A REPO argument may carry its own :TAG (as --from) and @DIGEST (as --digest).
Credentials come from the docker config ($DOCKER_CONFIG/config.json or ~/.docker/config.json).
Prints JSON: for each target tag, the previous and the new digest, and the rollback command.
`,promoteCommand={name:"promote",summary:"move tags (e.g. latest) to the tested digest, all or nothing",help:HELP,async run(args,io){let{values,positionals}=parseCommandArgs("promote",args,{from:{type:"string"},digest:{type:"string"},to:{type:"string",multiple:!0},insecure:{type:"boolean"}});if(positionals.length===0)throw new UsageError(`promote: name at least one repository
Run 'build-image promote --help' for usage.`);let digest=values.digest!==void 0?parseDigest(values.digest,"--digest"):void 0,requests=requestsFromReferences(positionals,{from:values.from,digest,to:values.to??[]},{source:"promote",fromOrDigest:"give --from TAG or --digest sha256:... (or REPO:TAG / REPO@DIGEST)",usageErrors:!0}),insecure=values.insecure?[...new Set(requests.flatMap(r=>[r.source.registry,...r.targets.map(t=>t.registry)]))]:[],client=createRegistryClient({env:io.env,insecure}),report=await promote(client,requests,{rollbackFlags:values.insecure?["--insecure"]:[],log:line=>io.err(`${line}
`)});return io.out(`${JSON.stringify(report,null,2)}
`),report.rollback.length&&io.err(`To roll back:
${report.rollback.map(c=>`  ${c}`).join(`
`)}
`),0}};export{promoteCommand};
