/** /v1.0/identity/conditionalAccess/{namedLocations,policies}[/{id}]: which function of conditionalAccess.ts answers. */
import type { StandInRequest } from "../standin/server";
import type { Store } from "../store";
import {
    createConditionalAccessPolicy, createNamedLocation, deleteConditionalAccessPolicy, deleteNamedLocation, getConditionalAccessPolicy,
    getNamedLocation, listConditionalAccessPolicies, listNamedLocations, updateConditionalAccessPolicy, updateNamedLocation,
} from "./conditionalAccess";
import type { GraphError } from "./errors";
import type { GraphResult } from "./model";
import type { Caller } from "./permissions";

export function conditionalAccessRoute(store: Store, caller: Caller, request: StandInRequest, segments: readonly string[], now: Date,
    notAllowed: () => GraphError, unknownSegment: (segment: string | undefined) => GraphError): GraphResult {
    const [kind, id, ...rest] = segments;
    if ((kind !== "namedLocations" && kind !== "policies") || rest.length > 0) throw unknownSegment(rest.at(-1) ?? kind);
    const locations = kind === "namedLocations";
    const method = request.method;
    if (id === undefined) {
        if (method === "GET") return locations ? listNamedLocations(store, caller) : listConditionalAccessPolicies(store, caller);
        if (method === "POST") return locations ? createNamedLocation(store, caller, request.body, now) : createConditionalAccessPolicy(store, caller, request.body, now);
        throw notAllowed();
    }
    if (method === "GET") return locations ? getNamedLocation(store, caller, id) : getConditionalAccessPolicy(store, caller, id);
    if (method === "PATCH") return locations ? updateNamedLocation(store, caller, id, request.body, now) : updateConditionalAccessPolicy(store, caller, id, request.body, now);
    if (method === "DELETE") return locations ? deleteNamedLocation(store, caller, id) : deleteConditionalAccessPolicy(store, caller, id);
    throw notAllowed();
}
