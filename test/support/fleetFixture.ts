/**
 * A generated fleet: `apps` apps, each with one stack file per environment, named `<app>-<environment>`, in a copy
 * of the project's Pulumi.yaml, whose shared config (tenant, environments, production resource groups `rg-*-prod`)
 * every stack uses. Role assignments as real apps have them: 1 to 4 each, drawn from a fixed seed so
 * that every run writes the same files.
 */
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { STORAGE_BLOB_ROLES } from "../../common/builtInRoles";
import { PROJECT_ROOT } from "../../tools/stacks/stackFiles";

export const FLEET_TENANT = "00000000-0000-0000-0000-00000000aaaa";
export const FLEET_SUBSCRIPTION = "00000000-0000-0000-0000-00000000bbbb";
export const FLEET_PRODUCTION_SUBSCRIPTION = "00000000-0000-0000-0000-00000000cccc";

export interface FleetFixtureOptions {
    readonly apps: number;
    readonly environments?: readonly string[];
    /** The resource group of an environment's roles; `rg-<app>-<environment>` unless given. */
    readonly resourceGroupOf?: (app: string, environment: string) => string;
    readonly seed?: number;
}

export interface FleetFixture {
    readonly root: string;
    readonly stacks: readonly string[];
    /** The roles each stack was given, by stack name. */
    readonly roles: Readonly<Record<string, readonly { resourceGroup: string; role: string }[]>>;
    writeStackFile(stack: string, yaml: string): void;
}

export function appName(index: number): string {
    return `app${String(index).padStart(3, "0")}`;
}

export interface FleetStackSpec {
    /** The subscription, where it is not the environment's (Pulumi.yaml's environments). */
    readonly subscriptionId?: string;
    readonly roles: readonly { resourceGroup: string; role: string }[];
}

/**
 * One stack file of a generated fleet, as an app's team writes it: its roles alone. The stack's name carries the
 * app and the environment; the tenant, the environment's subscription and production resource groups are
 * Pulumi.yaml's (FLEET_TENANT, FLEET_SUBSCRIPTION, FLEET_PRODUCTION_SUBSCRIPTION).
 */
export function fleetStackYaml(spec: FleetStackSpec): string {
    return [
        "config:",
        ...(spec.subscriptionId === undefined ? [] : [`  app-identity:subscriptionId: ${spec.subscriptionId}`]),
        "  app-identity:roleAssignments:",
        ...spec.roles.flatMap((entry) => [`    - resourceGroup: ${entry.resourceGroup}`, `      role: ${entry.role}`]),
        "",
    ].join("\n");
}

export function generateFleet(options: FleetFixtureOptions, root = mkdtempSync(join(tmpdir(), "fleet-"))): FleetFixture {
    const environments = options.environments ?? ["dev", "test", "prod"];
    const groupOf = options.resourceGroupOf ?? ((app: string, environment: string) => `rg-${app}-${environment}`);
    mkdirSync(join(root, "stacks"), { recursive: true });
    copyFileSync(join(PROJECT_ROOT, "Pulumi.yaml"), join(root, "Pulumi.yaml"));
    let state = options.seed ?? 1;
    const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const stacks: string[] = [];
    const roles: Record<string, { resourceGroup: string; role: string }[]> = {};
    for (let index = 0; index < options.apps; index++) {
        const app = appName(index);
        for (const environment of environments) {
            const stack = `${app}-${environment}`;
            const count = 1 + Math.floor(random() * 4);
            const group = groupOf(app, environment);
            roles[stack] = STORAGE_BLOB_ROLES.slice(0, count).map((role) => ({ resourceGroup: group, role: role.name }));
            writeFileSync(join(root, "stacks", `Pulumi.${stack}.yaml`), fleetStackYaml({ roles: roles[stack] }));
            stacks.push(stack);
        }
    }
    return {
        root, stacks: stacks.sort(), roles,
        writeStackFile(stack, yaml) {
            writeFileSync(join(root, "stacks", `Pulumi.${stack}.yaml`), yaml);
        },
    };
}
