/** Clouds we deploy to. A region names one; node-pool instance types are looked up by it. */
export type Cloud = "aws" | "gcp" | "azure";
export const CLOUDS: readonly Cloud[] = ["aws", "gcp", "azure"];
