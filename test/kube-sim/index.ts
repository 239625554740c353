export { startKubeSim, type KubeSim, type RbacRule, Faults, Rbac } from './server.js';
export { Kubelet, LogBuffer } from './kubelet.js';
export { Store } from './store.js';
