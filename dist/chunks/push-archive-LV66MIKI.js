import{createRequire as __biRequire}from'node:module';const require=__biRequire(import.meta.url);
import{parseCommandArgs}from"./chunk-X3LEBQQE.js";import"./chunk-7L5R5EDN.js";import"./chunk-HP3SL4J2.js";import{pushArchive}from"./chunk-A6DIGVNY.js";import"./chunk-J37RBSX7.js";import"./chunk-CW3QDS4Q.js";import{createRegistryClient}from"./chunk-6NEUU6KH.js";import"./chunk-PP7AUCH2.js";import{parseReference}from"./chunk-MESR2NRX.js";import"./chunk-F4ASIJAT.js";import{UsageError}from"./chunk-LBQD7ANG.js";import{resolve}from"node:path";var HELP=`Usage: build-image push-archive FILE --image REPO:TAG [--insecure]

Pushes an image built elsewhere to a registry: a docker-archive (docker save, Nix
dockerTools; plain or gzip'd) or an OCI image layout (a directory, or a tar of one).
Blobs the registry already has are skipped; layers are streamed. Uncompressed layers are
pushed uncompressed (OCI media type ...layer.v1.tar). Prints the manifest digest.

Options:
  --image REF    where to push (host/repo:tag)
  --insecure     reach the registry over plain HTTP or TLS without verification
  -h, --help     show this help
`,pushArchiveCommand={name:"push-archive",summary:"push a docker-archive or OCI layout to a registry, skipping blobs it has",help:HELP,async run(args,io){let{values,positionals}=parseCommandArgs("push-archive",args,{image:{type:"string"},insecure:{type:"boolean"}});if(positionals.length!==1)throw new UsageError(`push-archive: name exactly one archive file or layout directory
Run 'build-image push-archive --help' for usage.`);if(!values.image)throw new UsageError("push-archive: --image REPO:TAG is required");let ref=parseReference(values.image);if(ref.digest)throw new UsageError("push-archive: --image must name a tag, not a digest");let client=createRegistryClient({env:io.env,insecure:values.insecure?[ref.registry]:[]}),result=await pushArchive(client,resolve(io.cwd,positionals[0]),{registry:ref.registry,repository:ref.repository,tag:ref.tag??"latest"},{log:line=>io.err(`${line}
`)});return io.out(`${result.digest}
`),0}};export{pushArchiveCommand};
