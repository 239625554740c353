import{createRequire as __biRequire}from'node:module';const require=__biRequire(import.meta.url);
import{parseCommandArgs}from"./chunk-X3LEBQQE.js";import{checkKeyName,checkRecipients,createSecret,decryptSecret,defaultRecipients,formatPlain,loadIdentities,parseYamlTree,readRecipientsFile,readSecret,resolveRoot,rotateSecret,secretRef,str,stringifyTree,updateKeys,updateSecret,verifySecrets,writeChanges}from"./chunk-46HAASCV.js";import"./chunk-7L5R5EDN.js";import"./chunk-HP3SL4J2.js";import"./chunk-F4ASIJAT.js";import{UsageError,UserError}from"./chunk-LBQD7ANG.js";import{readFileSync as readFileSync2}from"node:fs";import{resolve}from"node:path";import{accessSync,constants,existsSync,mkdtempSync,readFileSync,rmSync,writeFileSync}from"node:fs";import{tmpdir}from"node:os";import{join}from"node:path";function tempBase(){try{if(existsSync("/dev/shm"))return accessSync("/dev/shm",constants.W_OK),"/dev/shm"}catch{}return tmpdir()}async function editSecret(ref,identities,runEditor2){let decrypted=decryptSecret(ref,identities),dir=mkdtempSync(join(tempBase(),"build-image-secret-")),edited;try{let file=join(dir,`${ref.name}.yaml`),header=` ${ref.label}: save and quit to encrypt it again; comments are not kept.`;if(writeFileSync(file,stringifyTree(decrypted.plain,header),{mode:384}),await runEditor2(file),!existsSync(file))throw new UserError(`${ref.label}: the edited file was removed; nothing changed`);edited=readFileSync(file,"utf8")}finally{rmSync(dir,{recursive:!0,force:!0})}let plain=parseYamlTree(edited,`${ref.label} (edited)`);return writeChanges(ref,decrypted,plain)}import{spawn}from"node:child_process";function runInteractive(command,args,options={}){return new Promise((resolve2,reject)=>{let child=spawn(command,args,{stdio:"inherit",env:options.env??process.env,cwd:options.cwd});child.once("error",error=>{reject(new UserError(error.code==="ENOENT"?`${command} is not installed (not found on PATH)`:`cannot run ${command}: ${error.message}`))}),child.once("close",(code,signal)=>resolve2(code??(signal?128:1)))})}var HELP=`Usage: build-image secret <subcommand> NAME [options]

Encrypted secrets in .coder/secrets/NAME.yaml, in the sops v3 format with age keys: key
names in clear, every value encrypted, a MAC over all of them. 'sops' reads and edits the
same files.

Subcommands:
  create NAME [--from-literal K=V]... [--from-file K=PATH]... [--recipient age1...]...
              [--recipients-file F]
                        write a new secret, encrypted to the recipients (default: the
                        public keys listed in .coder/secrets/.recipients)
  set NAME K=V... [--from-file K=PATH]...
                        add or change keys
  unset NAME K...       remove keys
  edit NAME             open the decrypted values in $EDITOR; the temporary file (mode
                        0600) is removed afterwards
  show NAME [--key K]   print the decrypted values (or one value)
  updatekeys NAME [--recipient age1...]... [--recipients-file F]
                        encrypt the data key to the recipients (default:
                        .coder/secrets/.recipients, else the file's own)
  rotate NAME           a new data key: every value is encrypted again
  verify [NAME...]      decrypt every secret in memory and check its MAC

Every subcommand but create needs an age identity: --identity F, else SOPS_AGE_KEY (the key
itself), SOPS_AGE_KEY_FILE, or ~/.config/sops/age/keys.txt, as sops reads them.
Values that did not change keep their ciphertext, so a diff shows only what changed.

Options:
  --dir DIR             the repository root (default: the current directory)
  --identity F          an age key file (AGE-SECRET-KEY-1... lines)
  -h, --help            show this help
`;function splitPair(flag,item){let eq=item.indexOf("=");if(eq<=0)throw new UsageError(`secret: ${flag} expects KEY=VALUE (${eq===0?"the key is empty":"no '=' in it"})`);let key=item.slice(0,eq);return checkKeyName(key),[key,item.slice(eq+1)]}function readValueFile(key,path,cwd){let bytes;try{bytes=readFileSync2(resolve(cwd,path))}catch(err){throw new UserError(`--from-file ${key}=${path}: ${err.code==="ENOENT"?"no such file":err.message}`)}try{return new TextDecoder("utf-8",{fatal:!0}).decode(bytes)}catch{throw new UserError(`--from-file ${key}=${path}: not UTF-8 text; encode binary files (e.g. base64) first`)}}function valuesFrom(literals,files,cwd){let out=new Map,put=(key,value)=>{if(out.has(key))throw new UsageError(`secret: key '${key}' given twice`);out.set(key,str(value))};for(let item of literals)put(...splitPair("--from-literal",item));for(let item of files){let[key,path]=splitPair("--from-file",item);put(key,readValueFile(key,path,cwd))}return out}function recipientsFrom(values,cwd){return checkRecipients([...values.recipient??[],...values["recipients-file"]?readRecipientsFile(resolve(cwd,values["recipients-file"])):[]])}function one(sub,positionals){if(positionals.length!==1)throw new UsageError(`secret ${sub}: expected one NAME, got ${positionals.length}
Run 'build-image secret --help' for usage.`);return positionals[0]}function plural(n,word){return`${n} ${word}${n===1?"":"s"}`}async function runEditor(io,path){let[command,...args]=(io.env.EDITOR||io.env.VISUAL||"vi").trim().split(/\s+/),code=await runInteractive(command,[...args,path],{env:io.env});if(code!==0)throw new UserError(`the editor (${command}) exited with ${code}; nothing changed`)}var secretCommand={name:"secret",summary:"create, edit, show, rotate and verify encrypted secrets (sops + age)",help:HELP,async run(args,io){let[sub,...rest]=args,{values,positionals:given}=parseCommandArgs(`secret ${sub??""}`.trim(),rest,{dir:{type:"string"},identity:{type:"string"},"from-literal":{type:"string",multiple:!0},"from-file":{type:"string",multiple:!0},recipient:{type:"string",multiple:!0},"recipients-file":{type:"string"},key:{type:"string"}}),positionals=given,root=resolveRoot(resolve(io.cwd,values.dir??".")),identities=()=>loadIdentities({identityFile:values.identity&&resolve(io.cwd,values.identity),env:io.env}),allowed={create:["dir","from-literal","from-file","recipient","recipients-file"],set:["dir","identity","from-file"],unset:["dir","identity"],edit:["dir","identity"],show:["dir","identity","key"],updatekeys:["dir","identity","recipient","recipients-file"],rotate:["dir","identity"],verify:["dir","identity"]};if(sub===void 0||!(sub in allowed))throw new UsageError(`secret: ${sub===void 0?"missing subcommand":`unknown subcommand '${sub}'`}; one of ${Object.keys(allowed).join(", ")}
Run 'build-image secret --help' for usage.`);let extra=Object.keys(values).filter(k=>!allowed[sub].includes(k));if(extra.length>0)throw new UsageError(`secret ${sub}: --${extra[0]} does not apply here
Run 'build-image secret --help' for usage.`);switch(sub){case"create":{let ref=secretRef(root,one(sub,positionals)),plain=valuesFrom(values["from-literal"]??[],values["from-file"]??[],io.cwd),recipients=values.recipient||values["recipients-file"]?recipientsFrom(values,io.cwd):defaultRecipients(root);return createSecret(ref,plain,recipients),io.out(`created ${ref.label}: ${plural(plain.size,"key")}, encrypted to ${plural(recipients.length,"recipient")}
`),0}case"set":{let[name,...pairs]=positionals;if(name===void 0)throw new UsageError("secret set: expected NAME K=V...");let ref=secretRef(root,name),updates=valuesFrom(pairs,values["from-file"]??[],io.cwd);if(updates.size===0)throw new UsageError("secret set: give at least one K=V or --from-file K=PATH");let changed=updateSecret(ref,identities(),plain=>{for(let[k,v]of updates)plain.set(k,v);return plain});return io.out(changed.length?`updated ${ref.label}: ${changed.join(", ")}
`:`${ref.label}: no change
`),0}case"unset":{let[name,...keys]=positionals;if(name===void 0||keys.length===0)throw new UsageError("secret unset: expected NAME KEY...");let ref=secretRef(root,name),changed=updateSecret(ref,identities(),plain=>{for(let k of keys){if(!plain.has(k))throw new UserError(`${ref.label} has no key '${k}'`);plain.delete(k)}return plain});return io.out(`updated ${ref.label}: removed ${changed.join(", ")}
`),0}case"edit":{let ref=secretRef(root,one(sub,positionals)),changed=await editSecret(ref,identities(),path=>runEditor(io,path));return io.out(changed.length?`updated ${ref.label}: ${changed.join(", ")}
`:`${ref.label}: no change
`),0}case"show":{let ref=secretRef(root,one(sub,positionals)),{plain}=decryptSecret(ref,identities()),text=formatPlain(plain,values.key,ref.label);return io.out(values.key!==void 0&&!text.endsWith(`
`)?`${text}
`:text),0}case"updatekeys":{let ref=secretRef(root,one(sub,positionals)),recipients=values.recipient||values["recipients-file"]?recipientsFrom(values,io.cwd):defaultRecipients(root);recipients.length===0&&(recipients=readSecret(ref).metadata.age.map(e=>e.recipient));let{added,removed}=updateKeys(ref,identities(),recipients),change=[...added.map(r=>`+${r}`),...removed.map(r=>`-${r}`)];return io.out(change.length?`updated ${ref.label}: ${change.join(" ")}
`:`${ref.label}: recipients unchanged
`),0}case"rotate":{let ref=secretRef(root,one(sub,positionals));return rotateSecret(ref,identities()),io.out(`rotated ${ref.label}: new data key, every value encrypted again
`),0}case"verify":{let results=verifySecrets(root,identities()).filter(r=>positionals.length===0||positionals.includes(r.ref.name)),missing=positionals.filter(p=>!results.some(r=>r.ref.name===p));if(missing.length)throw new UserError(`no secret named ${missing.map(m=>`'${m}'`).join(", ")} in .coder/secrets`);for(let r of results)r.error?io.err(`${r.error}
`):io.out(`ok ${r.ref.label}: ${plural(r.keys,"value")}, MAC verified
`);let failed=results.filter(r=>r.error).length;return failed?io.err(`${failed} of ${results.length} secret file(s) failed verification
`):results.length===0&&io.out(`no secret files in .coder/secrets
`),failed?1:0}}return 2}};export{secretCommand};
