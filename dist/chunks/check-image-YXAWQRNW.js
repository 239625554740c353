import{createRequire as __biRequire}from'node:module';const require=__biRequire(import.meta.url);
import{oneOf,parseCommandArgs}from"./chunk-X3LEBQQE.js";import{MINIMUMS_PROFILES,checkImageMinimums,formatMinimumsReport}from"./chunk-77KWCOLA.js";import"./chunk-7L5R5EDN.js";import"./chunk-HP3SL4J2.js";import"./chunk-J37RBSX7.js";import{createRegistryClient}from"./chunk-6NEUU6KH.js";import"./chunk-PP7AUCH2.js";import{parseReference}from"./chunk-MESR2NRX.js";import"./chunk-F4ASIJAT.js";import{UsageError}from"./chunk-LBQD7ANG.js";var HELP=`Usage: build-image check-image REF [--minimums coder] [--format text|json] [--insecure]

Checks an image in a registry against the image minimums without running it: the layers
are read (whiteouts applied, symlinks followed) and each rule is reported:
  a shell (/bin/sh or bash); curl, wget or busybox; git; CA certificates;
  a non-root default user.
Exits 1 when a rule is not met.

Options:
  --minimums NAME    the rule set (coder, the default)
  --platform OS/ARCH which image of a multi-platform index (default linux/<this machine>)
  --format FORMAT    text (default) or json
  --insecure         reach the registry over plain HTTP or TLS without verification
  -h, --help         show this help
`,checkImageCommand={name:"check-image",summary:"check an image in a registry against the image minimums",help:HELP,async run(args,io){let{values,positionals}=parseCommandArgs("check-image",args,{minimums:{type:"string"},platform:{type:"string"},format:{type:"string"},insecure:{type:"boolean"}});if(positionals.length!==1)throw new UsageError(`check-image: name exactly one image reference
Run 'build-image check-image --help' for usage.`);let profile=oneOf("check-image","minimums",values.minimums,MINIMUMS_PROFILES,"coder"),format=oneOf("check-image","format",values.format,["text","json"],"text");if(values.platform!==void 0&&!/^[a-z0-9]+\/[a-z0-9]+$/.test(values.platform))throw new UsageError("check-image: --platform must look like linux/amd64");let ref=parseReference(positionals[0]),client=createRegistryClient({env:io.env,insecure:values.insecure?[ref.registry]:[]}),report=await checkImageMinimums(client,{registry:ref.registry,repository:ref.repository},ref.digest??ref.tag??"latest",{profile,...values.platform?{platform:values.platform}:{}});return io.out(format==="json"?`${JSON.stringify(report,null,2)}
`:formatMinimumsReport(report)),report.passed?0:1}};export{checkImageCommand};
