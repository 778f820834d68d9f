/**
 * The only module that imports cdk8s-plus-28 (frozen upstream): moving to another cdk8s-plus
 * major is a change to this one file.
 */
export { Service, ServiceType, Protocol, k8s } from "cdk8s-plus-28";
