/**
 * POST /v1.0/directoryObjects/getByIds (learn.microsoft.com/graph/api/directoryobject-getbyids): the objects
 * with those IDs, of the given types, each with its `@odata.type`; IDs that name nothing are left out. Its
 * least-privileged application permission is Directory.Read.All: Application.ReadWrite.OwnedBy alone is refused.
 * `az role assignment list` calls it to show principal names, `az role assignment create --assignee <object ID>`
 * to find the principal's type (azure/cli/command_modules/role/custom.py, _get_object_stubs).
 */
import type { Store } from "../store";
import { badRequest, denied } from "./errors";
import { applicationView, jsonObject, servicePrincipalView, type GraphResult } from "./model";
import { context } from "./odata";
import type { Caller } from "./permissions";

const READ_DIRECTORY = ["Directory.Read.All", "Directory.ReadWrite.All"];

export function getByIds(store: Store, caller: Caller, body: string): GraphResult {
    if (!(caller.claims.roles ?? []).some((role) => READ_DIRECTORY.includes(role))) throw denied();
    const input = jsonObject(body);
    const ids = input["ids"];
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === "string")) {
        throw badRequest("Invalid value specified for property 'ids' of resource 'DirectoryObject'.");
    }
    const types = Array.isArray(input["types"]) ? (input["types"] as unknown[]).map((type) => String(type).toLowerCase()) : undefined;
    const wanted = (type: string) => types === undefined || types.includes(type.toLowerCase()) || types.includes("directoryobject");
    const value = (ids).flatMap((id) => {
        const sp = store.state.servicePrincipals.find((candidate) => candidate.id === id);
        if (sp !== undefined && wanted("servicePrincipal")) {
            return [{ "@odata.type": "#microsoft.graph.servicePrincipal", ...servicePrincipalView(sp, store.state) }];
        }
        const app = store.state.applications.find((candidate) => candidate.id === id);
        if (app !== undefined && wanted("application")) return [{ "@odata.type": "#microsoft.graph.application", ...applicationView(app) }];
        return [];
    });
    return { status: 200, body: { ...context("directoryObjects"), value } };
}
