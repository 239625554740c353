import{createRequire as __biRequire}from'node:module';const require=__biRequire(import.meta.url);
