/**
 * Which config key is behind a resource the program registers, for a policy's verdict: a reviewer fixes the stack
 * file, not the resource. `stacks/Pulumi.inventory-api-dev.yaml: app-identity:roleAssignments[0].role is "Owner"`.
 *
 * The names are the program's own (infra/program.ts, infra/appIdentity.ts, infra/names.ts): an identity per display
 * name, its secrets `<identity>-secret-a|b`, a role assignment per (identity, roleAssignments entry).
 */
import { displayNamesOf, writtenKeyOf, type StackConfig } from "../../infra/config";
import { roleAssignmentLogicalName } from "../../infra/names";
import type { ConfigOrigin } from "../plan/policyCheck";
import { allowedRoles, productionProtected, resourceGroupScope, sameEnvironment, secretEndDate } from "../../policy/policies";
import { certificateDates } from "../../policy/certificatePolicies";


/** Where a policy's verdict on a role assignment points: the entry's role, or its resource group. */
const ENTRY_FIELD: Readonly<Record<string, "role" | "resourceGroup">> = {
    [allowedRoles.name]: "role",
    [resourceGroupScope.name]: "resourceGroup",
    [sameEnvironment.name]: "resourceGroup",
};

export function configOrigins(project: string, config: StackConfig): ConfigOrigin {
    const entries = new Map<string, number>();
    const identities = new Set(displayNamesOf(config.appName, config.environment, config.developers));
    const secrets = new Set<string>();
    const certificates = new Set<string>();
    for (const identity of identities) {
        config.roleAssignments.forEach(({ resourceGroup, role }, index) => {
            entries.set(roleAssignmentLogicalName({ identity, resourceGroup, role }), index);
        });
        secrets.add(`${identity}-secret-a`).add(`${identity}-secret-b`);
        certificates.add(`${identity}-certificate-a`).add(`${identity}-certificate-b`);
    }
    const line = (key: string, path: string, value: unknown) =>
        `${config.stackFile}: ${writtenKeyOf(config, project, key)}${path} is ${JSON.stringify(value)}`;

    return (resourceName, policy) => {
        const index = entries.get(resourceName);
        const field = ENTRY_FIELD[policy];
        if (index !== undefined && field !== undefined) {
            return line("roleAssignments", `[${index}].${field}`, config.roleAssignments[index]![field]);
        }
        if (policy === productionProtected.name && (index !== undefined || identities.has(resourceName))) {
            return line("production", "", config.production);
        }
        if (policy === secretEndDate.name && secrets.has(resourceName)) {
            return line("secretLifetimeMonths", "", config.secretLifetimeMonths);
        }
        if (policy === certificateDates.name && certificates.has(resourceName)) {
            return line("certificateLifetimeMonths", "", config.certificateLifetimeMonths);
        }
        // The rest (single tenant, principal type, a protected secret) is the program's doing, not a key's.
        return undefined;
    };
}
