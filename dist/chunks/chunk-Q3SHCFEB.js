import{createRequire as __biRequire}from'node:module';const require=__biRequire(import.meta.url);
var State={builder:"builder",runId:"run-id",namespace:"namespace"};export{State};
