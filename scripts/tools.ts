// npm run setup (after the Debian packages openssl and shellcheck): builds or finds every program the checks run, printing
// where each one is (validation and the e2e). Go programs are built once per version into ~/.cache/bitactor-gitops.
import { main } from "./lib/run.ts";
import { schemaRoot } from "../harness/kubeconform.ts";
import { actionlint, checkov, semgrep, trivy, kubeconform, kubeScore } from "../toolchain/scanners.ts";
import { argocd, helm, kustomize, kubectl, rolloutsPlugin, argoEval, otelcol, kubeseal, sealedSecretsController, etcd, kubeApiserver, kubeControllerManager, kubeScheduler, kwok, prometheus, promtool, rolloutsController, prometheusOperator } from "../toolchain/cluster.ts";
import { crdManifests } from "../toolchain/sources.ts";
import { moduleDir } from "../toolchain/build.ts";
import { moduleVersion, toolVersions } from "../lib/versions.ts";
import { servable } from "../harness/gitops/mirrors.ts";

await main(async () => {
  const found: [string, () => string][] = [
    ["etcd", etcd],
    ["prometheus", prometheus],
    ["promtool", promtool],
    ["argo-eval", argoEval],
    ["otelcol", otelcol],
    ["kubeseal", kubeseal],
    ["sealed-secrets-controller", sealedSecretsController],
    ["kubeconform", kubeconform],
    ["kube-apiserver", kubeApiserver],
    ["kube-controller-manager", kubeControllerManager],
    ["kube-scheduler", kubeScheduler],
    ["kwok", kwok],
    ["rollouts-controller", rolloutsController],
    ["prometheus-operator", prometheusOperator],
    ["kubectl-argo-rollouts", rolloutsPlugin],
    ["kubectl", kubectl],
    ["argocd", argocd],
    ["helm", helm],
    ["kustomize", kustomize],
    ["trivy", trivy],
    ["actionlint", actionlint],
    ["kube-score", kubeScore],
    ["semgrep", semgrep],
    ["checkov", checkov],
    ["kubeconform schemas", schemaRoot],
    ["CRD manifests", () => `${crdManifests().length} files from the Go module cache`],
    // The add-ons' upstream trees the GitOps e2e serves from local mirrors: downloaded here, not mid-run.
    ["add-on sources", () => `${servable(toolVersions()).served.map(({ pin }) => moduleDir(pin.module!, moduleVersion(pin.version))).length} modules from the Go module cache`],
  ];
  for (const [name, get] of found) console.log(`${name.padEnd(20)} ${get()}`);
});
