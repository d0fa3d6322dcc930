// The SDK's own floor at Azure's limit: `node sdkFloor.ts N` registers N bare azure-native RoleAssignments, and
// nothing of the project, under the offline engine the plan uses. What the plan of one identity with N role
// assignments costs beyond this is the project's; this much is the Pulumi SDK's, whatever the program does (each
// resource holds some 30 Outputs and 400 promises until the engine answers; a heap snapshot shows them).
import * as authorization from "@pulumi/azure-native/authorization";
import { findRole } from "../../common/builtInRoles";
import { evaluateStack } from "../offline/engine";

const count = Number(process.argv[2]);
const subscription = "/subscriptions/00000000-0000-0000-0000-00000000bbbb";
const readerRole = `${subscription}/providers/Microsoft.Authorization/roleDefinitions/${findRole("Storage Blob Data Reader")!.id}`;

evaluateStack({
    project: "floor", stack: "floor", config: {},
    program: () => {
        for (let i = 0; i < count; i++) {
            new authorization.RoleAssignment(`role-${i}`, {
                scope: `${subscription}/resourceGroups/rg-bench-${i}`,
                roleDefinitionId: readerRole,
                principalId: "11111111-1111-4111-8111-111111111111",
                principalType: "ServicePrincipal",
            });
        }
        return Promise.resolve({});
    },
}).then(
    (evaluation) => { process.exitCode = evaluation.ok && evaluation.resources.length === count ? 0 : 1; },
    (error: unknown) => { console.error(error); process.exitCode = 1; },
);
