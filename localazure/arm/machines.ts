/**
 * Azure Arc-enabled servers (Microsoft.HybridCompute/machines) in the local ARM: connecting one makes, as the platform
 * does, a service principal of servicePrincipalType "ManagedIdentity" for its system-assigned identity (Microsoft Learn,
 * "Authenticate against Azure resources with Azure Arc-enabled servers": "Azure Resource Manager creates a service
 * principal in Microsoft Entra ID for the identity of the server"), and a GET answers the machine with
 * `identity: {type: "SystemAssigned", principalId, tenantId}` (azure-rest-api-specs hybridcompute Machine, Identity).
 */
import { newId } from "../secrets";
import type { ArmResourceRecord, State } from "../state";
import type { Store } from "../store";
import type { AccessTokenClaims } from "../tokens";
import { authorizeRead } from "./authorization";
import { ArmError } from "./errors";
import type { ArmResult } from "./roleAssignments";

export const MACHINE_TYPE = "Microsoft.HybridCompute/machines";
/** The versions of Microsoft.HybridCompute/machines GET this stand-in answers: @pulumi/azure-native 3.28.0's getMachine's. */
export const MACHINE_API_VERSIONS = ["2024-07-10"];
export const MACHINE_ROUTE = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.hybridcompute\/machines\/([^/]+)\/?$/i;

export function machineId(subscriptionId: string, resourceGroup: string, name: string): string {
    return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/${MACHINE_TYPE}/${name}`;
}

/** `azcmagent connect` with the system-assigned identity on: the machine and its identity's service principal. */
export function connectMachine(state: State, subscriptionId: string, resourceGroup: string, name: string, at: string):
    { readonly id: string; readonly principalId: string } {
    const id = machineId(subscriptionId, resourceGroup, name);
    const principalId = newId();
    state.servicePrincipals.push({
        id: principalId, appId: newId(), owners: [], graphPermissions: [],
        properties: {
            displayName: name, servicePrincipalType: "ManagedIdentity", accountEnabled: true,
            alternativeNames: ["isExplicit=False", id], createdDateTime: at,
        },
    });
    const record: ArmResourceRecord = {
        id, type: MACHINE_TYPE,
        body: {
            id, name, type: MACHINE_TYPE, location: "westeurope",
            identity: { type: "SystemAssigned", principalId, tenantId: state.tenantId },
            properties: { status: "Connected", provisioningState: "Succeeded", osType: "linux", agentVersion: "1.50.0", lastStatusChange: at },
        },
    };
    state.armResources = [...(state.armResources ?? []).filter((resource) => resource.id.toLowerCase() !== id.toLowerCase()), record];
    return { id, principalId };
}

/** GET of a machine: read access at or above its scope (any role with `*\/read`), else 403; 404 when absent. */
export function getMachine(store: Store, caller: AccessTokenClaims, subscriptionId: string, resourceGroup: string, name: string,
    apiVersion: string): ArmResult {
    if (!MACHINE_API_VERSIONS.includes(apiVersion)) {
        throw new ArmError(400, "InvalidApiVersionParameter", `The api-version '${apiVersion}' is invalid. ` +
            `The supported versions are '${MACHINE_API_VERSIONS.join(",")}'.`);
    }
    const id = machineId(subscriptionId, resourceGroup, name);
    authorizeRead(store.state, caller, MACHINE_TYPE, id);
    const found = (store.state.armResources ?? []).find((resource) => resource.id.toLowerCase() === id.toLowerCase());
    if (found === undefined) {
        throw new ArmError(404, "ResourceNotFound", `The Resource '${MACHINE_TYPE}/${name}' under resource group ` +
            `'${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`);
    }
    return { status: 200, body: found.body };
}
