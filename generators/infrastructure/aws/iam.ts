import type { Construct } from "constructs";
import { IamRole, IamRolePolicy, IamRolePolicyAttachment } from "./resources.ts";

/** The principal EKS Pod Identity assumes roles as; it also tags the session. */
export const POD_IDENTITY = "pods.eks.amazonaws.com";

/** An IAM role a service assumes, with AWS-managed policies attached by name. */
export function serviceRole(scope: Construct, id: string, name: string, service: string, managed: readonly string[] = []): IamRole {
  const r = new IamRole(scope, id, {
    name,
    assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: service === POD_IDENTITY ? ["sts:AssumeRole", "sts:TagSession"] : "sts:AssumeRole" }] }),
  });
  for (const p of managed) new IamRolePolicyAttachment(scope, `${id}-${p}`, { role: r.name, policyArn: `arn:aws:iam::aws:policy/${p}` });
  return r;
}

/**
 * An inline policy. The document is JSON text with references inside (`${...}` templates), not a
 * jsonencode() expression: checkov reads the text and judges every statement.
 */
export function inlinePolicy(scope: Construct, id: string, role: IamRole, name: string, statements: readonly Record<string, unknown>[]): IamRolePolicy {
  return new IamRolePolicy(scope, id, { role: role.name, name, policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }) });
}
