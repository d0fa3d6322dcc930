/**
 * The engine's wire form of property values (pulumi/pulumi sdk/go/common/resource/plugin/rpc.go): an unknown
 * value is a sentinel string, a secret an object tagged with a signature key.
 */
import type { PropertyMap } from "./types";

/** `plugin.UnknownStringValue`: a value the engine does not know yet (a preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** `resource.SigKey` and `resource.SecretSig` (sdk/go/common/resource/properties.go). */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export function isUnknown(value: unknown): boolean {
    return value === UNKNOWN;
}

export function containsUnknown(value: unknown): boolean {
    if (isUnknown(value)) return true;
    if (Array.isArray(value)) return value.some(containsUnknown);
    if (isObject(value)) return Object.values(value).some(containsUnknown);
    return false;
}

export function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function isSecret(value: unknown): value is { value: unknown } {
    return isObject(value) && value[SIG_KEY] === SECRET_SIG;
}

export function secret(value: unknown): Record<string, unknown> {
    return { [SIG_KEY]: SECRET_SIG, value };
}

/** The value with every secret wrapper taken off, deeply. */
export function reveal(value: unknown): unknown {
    if (isSecret(value)) return reveal(value.value);
    if (Array.isArray(value)) return value.map(reveal);
    if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, reveal(item)]));
    return value;
}

export function revealMap(map: PropertyMap): PropertyMap {
    return reveal(map) as PropertyMap;
}

export function deepEqual(left: unknown, right: unknown): boolean {
    return JSON.stringify(canonical(left)) === JSON.stringify(canonical(right));
}

function canonical(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(canonical);
    if (isObject(value)) {
        return Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical(value[key])]));
    }
    return value;
}

/** A set of strings compared without order, as Terraform compares a TypeSet. */
export function sameStringSet(left: unknown, right: unknown): boolean {
    const toSet = (value: unknown) => [...new Set(Array.isArray(value) ? value.map(String) : [])].sort();
    return deepEqual(toSet(left), toSet(right));
}

export function stringOf(value: unknown): string | undefined {
    return typeof value === "string" ? value : undefined;
}
