/**
 * The only module that imports cdk8s-plus-28 (frozen upstream): moving to another cdk8s-plus
 * major is a change to this one file. Its Service module, not the package index: the index loads
 * all 33 of the package's modules, the Service needs 7 (docs/speed.md).
 */
export { Service, ServiceType } from "cdk8s-plus-28/lib/service.js";
