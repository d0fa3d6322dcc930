/**
 * Runs the pack's policies on resources outside the Pulumi engine: what the offline plan reports as violations.
 * The same policy objects the pack holds, given the arguments the engine would give them.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { PolicyResourceOptions, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { setClock } from "../../infra/clock";
import { replaceMarkers } from "../offline/markers";
import { POLICIES } from "../../policy/policies";

export interface CheckedResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, unknown>;
    readonly protect: boolean;
    readonly parent: string;
}

export interface PolicyViolation {
    readonly policy: string;
    readonly resource: string;
    /** The policy's message, after the config key behind the resource where one is (see `checkResources`). */
    readonly message: string;
}

/**
 * The config key behind a resource's violation of a policy, as one line's start:
 * `stacks/Pulumi.inventory-api-dev.yaml: app-identity:roleAssignments[0].role is "Owner"` (tools/offline/origins.ts).
 */
export type ConfigOrigin = (resourceName: string, policy: string) => string | undefined;

/** Per-policy config, as `pulumi preview --policy-pack-config` takes it. */
export type PackConfig = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

export const PACK_CONFIG_FILE = join(__dirname, "..", "..", "policy", "config.json");

export function readPackConfig(path = PACK_CONFIG_FILE): PackConfig {
    return JSON.parse(readFileSync(path, "utf8")) as PackConfig;
}

/** A policy's config: its schema's defaults under what the pack config sets. */
export function configFor(policy: ResourceValidationPolicy, packConfig: PackConfig): Record<string, unknown> {
    const defaults = Object.fromEntries(Object.entries(policy.configSchema?.properties ?? {})
        .filter(([, schema]) => "default" in schema)
        .map(([key, schema]) => [key, (schema as { default: unknown }).default]));
    return { ...defaults, ...(packConfig[policy.name] ?? {}) };
}

/**
 * The violations of `policies` on `resources`, judged as of `at` (the real clock when unset): a plan of another day
 * judges as of that day, as the pack would when the CLI runs it then. The policies read that instant from the
 * project's one clock, set here for the check alone; they are synchronous, so no other reading sees it.
 * With `origin`, a violation's message starts with the config key behind the resource, where there is one, so that
 * it reads like a config error: `<stack file>: <key> is <value>; <the policy's message>`.
 */
export function checkResources(
    resources: readonly CheckedResource[],
    packConfig: PackConfig,
    policies: readonly ResourceValidationPolicy[] = POLICIES,
    at?: Date,
    origin?: ConfigOrigin,
): PolicyViolation[] {
    const previousClock = at === undefined ? undefined : setClock(() => new Date(at.getTime()));
    try {
        const violations: PolicyViolation[] = [];
        for (const policy of policies) {
            const config = configFor(policy, packConfig);
            const validations = [policy.validateResource ?? []].flat();
            for (const resource of resources) {
                const args = validationArgs(resource, config);
                for (const validate of validations) {
                    void validate(args, (message) => {
                        const text = message ?? policy.description;
                        const key = origin?.(resource.name, policy.name);
                        violations.push({ policy: policy.name, resource: resource.name, message: key === undefined ? text : `${key}; ${text}` });
                    });
                }
            }
        }
        return violations;
    } finally {
        if (previousClock !== undefined) setClock(previousClock);
    }
}

function validationArgs(resource: CheckedResource, config: Record<string, unknown>): ResourceValidationArgs {
    const opts: PolicyResourceOptions = {
        protect: resource.protect,
        ignoreChanges: [],
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [],
        ...(resource.parent === "" ? {} : { parent: resource.parent }),
    };
    return {
        type: resource.type,
        props: plain(resource.inputs) as Record<string, unknown>,
        urn: resource.urn,
        name: resource.name,
        opts,
        stackTags: new Map(),
        getConfig: <T extends object>() => config as T,
        notApplicable: (reason?: string): never => { throw new Error(`not applicable: ${reason ?? ""}`); },
        isType: () => { throw new Error("the offline checker does not support isType: compare args.type"); },
        asType: () => { throw new Error("the offline checker does not support asType: read args.props"); },
    };
}

/** Inputs as a policy sees them: secrets unwrapped (policies run where the engine holds them), unknowns absent. */
function plain(value: unknown): unknown {
    return replaceMarkers(value, { secret: plain, unknown: () => undefined });
}
