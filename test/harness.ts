/**
 * The one mocks harness: evaluates the real program for a stack through the same offline engine (fake Azure and
 * recording monitor) that `npm run plan` uses.
 */
import runProgram from "../infra";
import { ConfigError, parseStackConfig } from "../infra/config";
import { resolve } from "node:path";
import { evaluateStack, type RegisteredResource, type StackEvaluation } from "../tools/offline/engine";
import { readProject, readStackFile } from "../tools/stacks/stackFiles";

export const ROOT = resolve(__dirname, "..");
export const SHARED = resolve(ROOT, "..", "shared");
export const PROJECT = "app-identity";
export const TENANT = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";
export const SUBSCRIPTION = "1a2b3c4d-5e6f-4a0b-9c8d-7e6f5a4b3c2d";
/** A fixed instant for tests: the schedule, and so every input, depends on it. */
export const AT = new Date("2026-11-21T12:00:00Z");

export const TYPES = {
    component: "appidentity:azure:AppIdentity",
    application: "azuread:index/application:Application",
    servicePrincipal: "azuread:index/servicePrincipal:ServicePrincipal",
    password: "azuread:index/applicationPassword:ApplicationPassword",
    roleAssignment: "azure-native:authorization:RoleAssignment",
} as const;

/** Stack config in the form a stack file holds it, before Pulumi flattens it to text. */
export type StackValues = Record<string, unknown>;

export function exampleConfig(overrides: StackValues = {}): StackValues {
    return {
        appName: "inventory-api",
        tenantId: TENANT,
        subscriptionId: SUBSCRIPTION,
        roleAssignments: [{ resourceGroup: "rg-inventory-dev", role: "Storage Blob Data Contributor" }],
        ...overrides,
    };
}

/** Pulumi.yaml's config defaults, which the CLI applies to every stack that does not set the key. */
export const PROJECT_DEFAULTS: StackValues = Object.fromEntries(Object.entries(readProject(ROOT).defaults)
    .map(([key, value]) => [key.slice(`${PROJECT}:`.length), value]));

/** What the language host hands the program: `"<project>:<key>"` → text (JSON for anything not a string). */
export function flatConfig(values: StackValues): Record<string, string> {
    return Object.fromEntries(Object.entries({ ...PROJECT_DEFAULTS, ...values })
        .filter(([, value]) => value !== undefined)
        .map(([key, value]) => [`${PROJECT}:${key}`, typeof value === "string" ? value : JSON.stringify(value)]));
}

/** The config problems of a stack file holding `values` (none when it parses), as the program reports them. */
export function configProblems(values: StackValues, stack = "inventory-api-dev"): readonly string[] {
    try {
        parseStackConfig(PROJECT, stack, flatConfig(values));
    } catch (error) {
        if (error instanceof ConfigError) return error.problems;
        throw error;
    }
    return [];
}

export function evaluate(stack: string, values: StackValues, options: { at?: Date; deployerTenantId?: string } = {})
    : Promise<StackEvaluation> {
    return evaluateStack({
        program: runProgram,
        project: PROJECT,
        stack,
        config: flatConfig(values),
        at: options.at ?? AT,
        ...(options.deployerTenantId === undefined ? {} : { deployerTenantId: options.deployerTenantId }),
    });
}

/** Evaluate a stack from its file in stacks/, as `npm run plan` does. */
export function evaluateStackFile(stack: string, at: Date = AT): Promise<StackEvaluation> {
    const file = readStackFile(readProject(ROOT), stack);
    return evaluateStack({ program: runProgram, project: PROJECT, stack, config: file.config, secretKeys: file.secretKeys, at });
}

export function ofType(evaluation: StackEvaluation, type: string): RegisteredResource[] {
    return evaluation.resources.filter((resource) => resource.type === type);
}

export function only(evaluation: StackEvaluation, type: string): RegisteredResource {
    const found = ofType(evaluation, type);
    if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
    return found[0]!;
}

export function countByType(evaluation: StackEvaluation): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const resource of evaluation.resources) counts[resource.type] = (counts[resource.type] ?? 0) + 1;
    return counts;
}
