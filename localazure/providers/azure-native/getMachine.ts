/**
 * azure-native:hybridcompute:getMachine, after pulumi-azure-native provider/pkg/provider/provider.go `Invoke`: the
 * function's ARM path with `subscriptionId` from the provider's configuration (`k.subscriptionID`) and the function's
 * API version (2024-07-10 in 3.28.0, @pulumi/azure-native hybridcompute/getMachine.d.ts), a GET, then
 * `invokeResponseToOutputs`: the body mapped to the SDK's shape (`properties` flattened, as GetMachineResult declares
 * its fields at the top level) and, for a resource getter under v3, `azureApiVersion`. A failed GET is
 * "request failed <id>: <the ARM error>".
 */
import { isObject } from "../shared/properties";
import type { InvokeHandler, PropertyMap } from "../shared/types";
import type { ArmClient } from "./arm";

export const GET_MACHINE = "azure-native:hybridcompute:getMachine";
export const MACHINE_API_VERSION = "2024-07-10";

export function getMachineHandler(arm: () => ArmClient, subscriptionId: () => string): InvokeHandler {
    return async (args) => {
        const resourceGroup = args["resourceGroupName"];
        const name = args["machineName"];
        if (typeof resourceGroup !== "string" || typeof name !== "string") {
            throw new Error(`${GET_MACHINE}: resourceGroupName and machineName are required`);
        }
        if (args["expand"] !== undefined) throw new Error(`${GET_MACHINE}: expand is not modelled by the stand-in`);
        const id = `/subscriptions/${subscriptionId()}/resourceGroups/${resourceGroup}/providers/Microsoft.HybridCompute/machines/${name}`;
        const client = arm();
        let body: PropertyMap;
        try {
            body = client.object(client.check("GET", id, await client.get(id, MACHINE_API_VERSION), [200]));
        } catch (error) {
            throw new Error(`request failed ${id}: ${(error as Error).message}`);
        }
        const { properties, ...rest } = body;
        return { ...rest, ...(isObject(properties) ? properties : {}), azureApiVersion: MACHINE_API_VERSION };
    };
}
