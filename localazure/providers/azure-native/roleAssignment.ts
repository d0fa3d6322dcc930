/**
 * azure-native:authorization:RoleAssignment (API version 2022-04-01), after pulumi-azure-native
 * provider/pkg/provider/provider.go (Check, Diff, Create, Read, Update, Delete) and provider/pkg/provider/diff.go.
 */
import { randomUUID } from "node:crypto";
import { NotModelledError, unmodelledInputs } from "../shared/errors";
import { deepEqual, isObject, isUnknown, UNKNOWN } from "../shared/properties";
import type {
    CheckFailure, CheckResult, CreateRequest, CreateResult, DeleteRequest, DiffRequest, DiffResult, PropertyMap,
    ReadRequest, ReadResult, ResourceHandler, UpdateRequest,
} from "../shared/types";
import type { ArmClient, ArmObject } from "./arm";

export const ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment";
export const API_VERSION = "2022-04-01";
const PROVIDER = "azure-native";
/** `createBeforeDeleteFlag`: set by Check when it made up the name itself. */
const CREATE_BEFORE_DELETE = "__createBeforeDelete";

const MODELLED = ["scope", "roleDefinitionId", "principalId", "principalType", "roleAssignmentName", "azureApiVersion"];
/** Path parameters (scope, roleAssignmentName) always replace; forceNewMap adds principalId and scope (gen/forceNew.go). */
const REPLACE_KEYS = ["principalId", "roleAssignmentName", "scope"];
/** The response's properties, flattened (x-ms-client-flatten), as the SDK's RoleAssignment outputs name them. */
const RESPONSE_PROPERTIES = [
    "condition", "conditionVersion", "createdBy", "createdOn", "delegatedManagedIdentityResourceId", "description",
    "name", "principalId", "principalType", "roleDefinitionId", "scope", "systemData", "type", "updatedBy", "updatedOn",
];
/** The inputs Read refreshes from what it read (the projection of outputs onto inputs). */
const INPUT_OUTPUTS = ["principalId", "principalType", "roleDefinitionId", "scope"];

export function roleAssignmentId(inputs: PropertyMap): string {
    return `${String(inputs["scope"])}/providers/Microsoft.Authorization/roleAssignments/${String(inputs["roleAssignmentName"])}`;
}

export class RoleAssignmentHandler implements ResourceHandler {
    constructor(private readonly arm: () => ArmClient) {}

    /**
     * Check: the name auto-generated (a UUID, flagged for create-before-delete) only when not given, the
     * azureApiVersion default (v3), then "missing required property '<name>'" for each required one.
     */
    check(_urn: string, olds: PropertyMap, news: PropertyMap): Promise<CheckResult> {
        const failures: CheckFailure[] = unmodelledInputs(PROVIDER, ROLE_ASSIGNMENT, news, MODELLED)
            .map((reason) => ({ property: "", reason }));
        const inputs: PropertyMap = { ...news };
        if (inputs["roleAssignmentName"] === undefined) {
            if (olds["roleAssignmentName"] !== undefined) {
                inputs["roleAssignmentName"] = olds["roleAssignmentName"];
                if (olds[CREATE_BEFORE_DELETE] === true) inputs[CREATE_BEFORE_DELETE] = true;
            } else {
                inputs["roleAssignmentName"] = randomUUID();
                inputs[CREATE_BEFORE_DELETE] = true;
            }
        }
        if (inputs["azureApiVersion"] === undefined) inputs["azureApiVersion"] = API_VERSION;
        for (const name of ["scope", "principalId", "roleDefinitionId"]) {
            if (inputs[name] === undefined) failures.push({ property: "", reason: `missing required property '${name}'` });
        }
        return Promise.resolve({ inputs, failures });
    }

    /**
     * Diff: old inputs against new, an unknown new value counting as the same; a replacement deletes first
     * unless the name was made up by Check ("deleteBeforeReplace := len(replaces) > 0").
     */
    diff({ olds, news, oldInputs }: DiffRequest): Promise<DiffResult> {
        const changes: string[] = [];
        const replaces: string[] = [];
        const keys = [...new Set([...Object.keys(oldInputs), ...Object.keys(news)])].filter((key) => !key.startsWith("__"));
        for (const key of keys) {
            const old = oldInputs[key];
            const next = news[key];
            let kind: "same" | "change";
            if (old !== undefined && next !== undefined) kind = isUnknown(next) || deepEqual(old, next) ? "same" : "change";
            else if (old !== undefined) kind = "change";
            // An added input equal to what the state already holds is no change (calculateChangesAndReplacements).
            else kind = next === undefined || deepEqual(next, olds[key]) ? "same" : "change";
            if (kind === "same") continue;
            changes.push(key);
            if (REPLACE_KEYS.includes(key)) replaces.push(key);
        }
        changes.sort();
        replaces.sort();
        return Promise.resolve({
            changes: changes.length > 0,
            replaces,
            stables: [],
            deleteBeforeReplace: replaces.length > 0 && oldInputs[CREATE_BEFORE_DELETE] !== true,
            diffs: changes,
        });
    }

    async create({ inputs, preview }: CreateRequest): Promise<CreateResult> {
        if (preview) return { id: "", outs: previewOutputs(inputs) };
        const arm = this.arm();
        let id = roleAssignmentId(inputs);
        await this.canCreate(id);
        const response = await arm.put(id, API_VERSION, requestBody(inputs));
        if (typeof response["id"] === "string") id = response["id"];
        // readAfterWrite: the GET's answer when it succeeds, the PUT's otherwise.
        const read = await arm.get(id, API_VERSION);
        return { id, outs: outputsOf(read.status === 200 ? arm.object(read) : response) };
    }

    /**
     * Read: a 404 means the resource was deleted. An import (no state yet) answers the inputs "that would produce
     * the given resource path and response" (provider/pkg/convert ResponseToSdkInputs): the path's scope and
     * roleAssignmentName, and the request body's properties the response holds, nulls skipped.
     */
    async read({ id, props, inputs }: ReadRequest): Promise<ReadResult> {
        const arm = this.arm();
        const answer = await arm.get(id, API_VERSION);
        if (answer.status === 404) return { id: "" };
        const outs = outputsOf(arm.object(arm.check("GET", id, answer, [200])));
        if (Object.keys(props).length === 0) return { id, props: outs, inputs: importedInputs(id, outs) };
        const refreshed: PropertyMap = { ...inputs };
        for (const key of INPUT_OUTPUTS) {
            if (!deepEqual(props[key], outs[key])) refreshed[key] = outs[key];
        }
        return { id, props: outs, inputs: refreshed };
    }

    /** Update: a preview answers the inputs with `name` kept from the state; otherwise the same PUT again. */
    async update({ id, olds, news, preview }: UpdateRequest): Promise<PropertyMap> {
        if (preview) {
            const outs = previewOutputs(news);
            if (olds["name"] !== undefined) outs["name"] = olds["name"];
            return outs;
        }
        const arm = this.arm();
        await arm.put(id, API_VERSION, requestBody(news));
        const read = await arm.get(id, API_VERSION);
        return outputsOf(arm.object(arm.check("GET", id, read, [200])));
    }

    async delete({ id }: DeleteRequest): Promise<void> {
        await this.arm().delete(id, API_VERSION);
    }

    /** provider/pkg/azure/client_azcore.go `CanCreate`: a 200 with a body means it exists already. */
    private async canCreate(id: string): Promise<void> {
        const answer = await this.arm().get(id, API_VERSION);
        if (answer.status === 404) return;
        if (answer.status === 200) {
            if (isObject(answer.body) && Object.keys(answer.body).length > 0) {
                throw new Error(`cannot create already existing resource '${id}'`);
            }
            return;
        }
        throw new Error(`cannot check existence of resource '${id}': status code ${answer.status}, ${JSON.stringify(answer.body ?? "")}`);
    }
}

/** The inputs of an imported assignment: the ID's path parameters, then the body's properties read. */
function importedInputs(id: string, outs: PropertyMap): PropertyMap {
    const match = /^(.*)\/providers\/Microsoft\.Authorization\/roleAssignments\/([^/]+)$/i.exec(id);
    if (match === null) throw new Error(`failed parsing id: ${id}`);
    const inputs: PropertyMap = { scope: match[1], roleAssignmentName: match[2] };
    for (const key of ["roleDefinitionId", "principalId", "principalType", "condition", "conditionVersion", "description",
        "delegatedManagedIdentityResourceId"]) {
        if (outs[key] !== undefined) inputs[key] = outs[key];
    }
    return inputs;
}

function requestBody(inputs: PropertyMap): ArmObject {
    for (const key of ["condition", "conditionVersion", "description", "delegatedManagedIdentityResourceId"]) {
        if (inputs[key] !== undefined) throw new NotModelledError(PROVIDER, `the input "${key}" of ${ROLE_ASSIGNMENT}`);
    }
    const properties: ArmObject = {
        roleDefinitionId: inputs["roleDefinitionId"],
        principalId: inputs["principalId"],
    };
    if (inputs["principalType"] !== undefined) properties["principalType"] = inputs["principalType"];
    return { properties };
}

/** `converter.PreviewOutputs`: the response's properties from the inputs, the rest unknown. */
function previewOutputs(inputs: PropertyMap): PropertyMap {
    return Object.fromEntries(RESPONSE_PROPERTIES.map((name) => [name, inputs[name] ?? UNKNOWN]));
}

/**
 * The SDK-shaped outputs of an ARM answer: `properties` flattened, name and type, nulls skipped, and the API
 * version (checkpointObject: "emit the actual APIVersion as an output property").
 */
export function outputsOf(response: ArmObject): PropertyMap {
    const properties = isObject(response["properties"]) ? response["properties"] : {};
    const outs: PropertyMap = {};
    for (const name of RESPONSE_PROPERTIES) {
        const value = name in properties ? properties[name] : response[name];
        if (value !== undefined && value !== null) outs[name] = value;
    }
    outs["azureApiVersion"] = API_VERSION;
    return outs;
}
