// The SDK's own floor at Azure's limit: `node sdkFloor.ts N [--at-once]` registers N bare azure-native
// RoleAssignments, and nothing of the project, under the offline engine the plan uses: at the program's pace
// (infra/pace.ts, a batch at a time), or with --at-once in one synchronous loop, as the program did before the pace.
// What the plan of one identity with N role assignments costs beyond the first is the project's. All at once, every
// resource holds some 30 Outputs and 400 promises until the engine answers (a heap snapshot shows them).
import * as authorization from "@pulumi/azure-native/authorization";
import { findRole } from "../../common/builtInRoles";
import { RegistrationPace } from "../../infra/pace";
import { evaluateStack } from "../offline/engine";

const count = Number(process.argv[2]);
const atOnce = process.argv[3] === "--at-once";
const subscription = "/subscriptions/00000000-0000-0000-0000-00000000bbbb";
const readerRole = `${subscription}/providers/Microsoft.Authorization/roleDefinitions/${findRole("Storage Blob Data Reader")!.id}`;

const assign = (i: number) => new authorization.RoleAssignment(`role-${i}`, {
    scope: `${subscription}/resourceGroups/rg-bench-${i}`,
    roleDefinitionId: readerRole,
    principalId: "11111111-1111-4111-8111-111111111111",
    principalType: "ServicePrincipal",
});

evaluateStack({
    project: "floor", stack: "floor", config: {},
    program: async () => {
        const indices = Array.from({ length: Number.isInteger(count) ? count : 0 }, (_, i) => i);
        if (atOnce) indices.forEach(assign);
        else await new RegistrationPace().registerEach(indices, assign);
        return {};
    },
}).then(
    (evaluation) => { process.exitCode = evaluation.ok && Number.isInteger(count) && evaluation.resources.length === count ? 0 : 1; },
    (error: unknown) => { console.error(error); process.exitCode = 1; },
);
