export { startKubeSim, type KubeSim, type KubeSimOptions, type RbacRule, Faults, Rbac } from './apiserver/server.js';
export { Registry } from './apiserver/registry.js';
export { Kubelet, LogBuffer } from './kubelet/kubelet.js';
export { Store } from './store/store.js';
