/**
 * The engine records inputs as the SDK serializes them: secrets wrapped in a signature object, unknowns as a
 * sentinel. One walker replaces those markers, for the plan (placeholders) and the policy checker (plain values).
 */
import * as pulumi from "@pulumi/pulumi";

export interface MarkerReplacements {
    secret(inner: unknown): unknown;
    unknown(): unknown;
}

export function replaceMarkers(value: unknown, replace: MarkerReplacements): unknown {
    if (value === undefined || value === pulumi.runtime.unknownValue || pulumi.isUnknown(value)) return replace.unknown();
    if (Array.isArray(value)) return value.map((item) => replaceMarkers(item, replace));
    if (value !== null && typeof value === "object") {
        const record = value as Record<string, unknown>;
        if (record[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return replace.secret(record["value"]);
        return Object.fromEntries(Object.entries(record).map(([key, inner]) => [key, replaceMarkers(inner, replace)]));
    }
    return value;
}
