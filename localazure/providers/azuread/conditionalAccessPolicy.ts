/**
 * azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy, after terraform-provider-azuread v3.9.0
 * internal/services/conditionalaccess/conditional_access_policy_resource.go and conditionalaccess.go (expand/flatten), as
 * pulumi-terraform-bridge serves it, for the blocks this program writes: conditions (applications, clientAppTypes,
 * clientApplications, locations, users) and grantControls. Graph's side is localazure/graph/conditionalAccess.ts.
 * - ID: stable.NewIdentityConditionalAccessPolicyID(id).ID(), "/identity/conditionalAccess/policies/{id}"; object_id Computed.
 * - Schema: display_name, state and conditions Required; no ForceNew on what is modelled (only conditions.devices
 *   removal replaces, not modelled), so a new state, location or principal is an update in place.
 * - Create: POST, then consistency.WaitForUpdate (GETs until one answers), then Read.
 * - Update: PATCH of the whole policy, then a StateChangeConf of 5 reads in a row with display_name and state as sent,
 *   and no Read after ("return nil"): the state is the planned one.
 * - Delete: GET first (404: already deleted), DELETE, WaitForDeletion (GETs until 404).
 * - Read: 404 removes it; every flattened list is set, empty when Graph has none, so an omitted optional list reads
 *   as [] and Terraform plans no change for it (a zero value against an unset Optional).
 */
import { containsUnknown, isObject, stringOf } from "../shared/properties";
import type {
    CheckFailure, CheckResult, CreateRequest, CreateResult, DeleteRequest, DiffRequest, DiffResult, PropertyMap, ReadRequest,
    ReadResult, ResourceHandler, UpdateRequest,
} from "../shared/types";
import { bridgeCheck, importedInputs, isImportRead, plannedState, refreshedInputs, type ResourceSpec } from "./bridge";
import { errorDiag, TerraformError } from "./diagnostics";
import type { GraphClient, GraphObject } from "./graph";

export const CONDITIONAL_ACCESS_POLICY = "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy";
const PATH = "/identity/conditionalAccess/policies/";
const WAIT_READS = 50;
/** The schema's StringInSlice values (stable.PossibleValuesForConditionalAccessPolicyState; grant_controls.operator AND, OR). */
const STATES = ["enabled", "disabled", "enabledForReportingButNotEnforced"];
const OPERATORS = ["AND", "OR"];
const MODELLED_CONDITIONS = ["applications", "clientAppTypes", "clientApplications", "locations", "users"];

export const conditionalAccessPolicySpec: ResourceSpec = {
    token: CONDITIONAL_ACCESS_POLICY,
    attributes: {
        conditions: { required: true },
        displayName: { required: true },
        grantControls: {},
        state: { required: true },
    },
};

type Block = Record<string, unknown>;
const block = (value: unknown): Block => (isObject(value) ? value : {});
const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

/** stable.ConditionalAccessPolicy as expandConditionalAccessConditionSet and expandConditionalAccessGrantControls build it. */
export function policyBody(inputs: PropertyMap): GraphObject {
    const conditions = block(inputs["conditions"]);
    const applications = block(conditions["applications"]);
    const users = block(conditions["users"]);
    const grant = inputs["grantControls"] === undefined ? undefined : block(inputs["grantControls"]);
    return {
        displayName: stringOf(inputs["displayName"]) ?? "",
        state: stringOf(inputs["state"]) ?? "",
        conditions: {
            applications: {
                includeApplications: strings(applications["includedApplications"]),
                excludeApplications: strings(applications["excludedApplications"]),
                includeUserActions: strings(applications["includedUserActions"]),
            },
            clientAppTypes: strings(conditions["clientAppTypes"]),
            ...(conditions["clientApplications"] === undefined ? {} : { clientApplications: {
                includeServicePrincipals: strings(block(conditions["clientApplications"])["includedServicePrincipals"]),
                excludeServicePrincipals: strings(block(conditions["clientApplications"])["excludedServicePrincipals"]),
            } }),
            ...(conditions["locations"] === undefined ? {} : { locations: {
                includeLocations: strings(block(conditions["locations"])["includedLocations"]),
                excludeLocations: strings(block(conditions["locations"])["excludedLocations"]),
            } }),
            servicePrincipalRiskLevels: [],
            signInRiskLevels: [],
            userRiskLevels: [],
            users: {
                includeUsers: strings(users["includedUsers"]), excludeUsers: strings(users["excludedUsers"]),
                includeGroups: strings(users["includedGroups"]), excludeGroups: strings(users["excludedGroups"]),
                includeRoles: strings(users["includedRoles"]), excludeRoles: strings(users["excludedRoles"]),
            },
        },
        ...(grant === undefined ? {} : { grantControls: {
            builtInControls: strings(grant["builtInControls"]),
            customAuthenticationFactors: strings(grant["customAuthenticationFactors"]),
            operator: stringOf(grant["operator"]) ?? "",
            termsOfUse: strings(grant["termsOfUses"]),
        } }),
    };
}

/** What conditionalAccessPolicyResourceRead sets, under the Pulumi names, for the modelled blocks. */
export function policyOutputs(policy: GraphObject): PropertyMap {
    const conditions = block(policy["conditions"]);
    const applications = block(conditions["applications"]);
    const client = conditions["clientApplications"];
    const locations = conditions["locations"];
    const users = block(conditions["users"]);
    const grant = policy["grantControls"];
    return {
        objectId: stringOf(policy["id"]) ?? "",
        displayName: stringOf(policy["displayName"]) ?? "",
        state: stringOf(policy["state"]) ?? "",
        conditions: {
            applications: {
                includedApplications: strings(applications["includeApplications"]),
                excludedApplications: strings(applications["excludeApplications"]),
                includedUserActions: strings(applications["includeUserActions"]),
            },
            clientAppTypes: strings(conditions["clientAppTypes"]),
            ...(isObject(client) ? { clientApplications: {
                includedServicePrincipals: strings(client["includeServicePrincipals"]),
                excludedServicePrincipals: strings(client["excludeServicePrincipals"]),
            } } : {}),
            ...(isObject(locations) ? { locations: {
                includedLocations: strings(locations["includeLocations"]),
                excludedLocations: strings(locations["excludeLocations"]),
            } } : {}),
            servicePrincipalRiskLevels: strings(conditions["servicePrincipalRiskLevels"]),
            signInRiskLevels: strings(conditions["signInRiskLevels"]),
            userRiskLevels: strings(conditions["userRiskLevels"]),
            users: {
                includedUsers: strings(users["includeUsers"]), excludedUsers: strings(users["excludeUsers"]),
                includedGroups: strings(users["includeGroups"]), excludedGroups: strings(users["excludeGroups"]),
                includedRoles: strings(users["includeRoles"]), excludedRoles: strings(users["excludeRoles"]),
            },
        },
        ...(isObject(grant) ? { grantControls: {
            builtInControls: strings(grant["builtInControls"]),
            customAuthenticationFactors: strings(grant["customAuthenticationFactors"]),
            operator: stringOf(grant["operator"]) ?? "",
            termsOfUses: strings(grant["termsOfUse"]),
        } } : {}),
    };
}

/** Terraform's view of "no change": an empty list or string, false, or an empty block, equals an unset one. */
function isZero(value: unknown): boolean {
    if (value === undefined || value === null || value === "" || value === false) return true;
    if (Array.isArray(value)) return value.length === 0;
    return isObject(value) && Object.values(value).every(isZero);
}

export function sameModuloZero(left: unknown, right: unknown): boolean {
    if (isZero(left) && isZero(right)) return true;
    if (Array.isArray(left) && Array.isArray(right)) {
        return left.length === right.length && left.every((item, index) => sameModuloZero(item, right[index]));
    }
    if (isObject(left) && isObject(right)) {
        return [...new Set([...Object.keys(left), ...Object.keys(right)])].every((key) => sameModuloZero(left[key], right[key]));
    }
    return left === right;
}

/** stable.ParseIdentityConditionalAccessPolicyID. */
export function parsePolicyId(id: string): string {
    const match = /^\/identity\/conditionalAccess\/policies\/([^/]+)$/.exec(id);
    if (match === null) {
        throw new TerraformError([errorDiag("Parsing Conditional Access Policy ID", `parsing ${JSON.stringify(id)}: expected a Conditional ` +
            "Access Policy ID of the form /identity/conditionalAccess/policies/{conditionalAccessPolicyId}", "id")]);
    }
    return match[1]!;
}

export class ConditionalAccessPolicyHandler implements ResourceHandler {
    constructor(private readonly graph: () => GraphClient) {}

    check(_urn: string, _olds: PropertyMap, news: PropertyMap): Promise<CheckResult> {
        const checked = bridgeCheck(conditionalAccessPolicySpec, news);
        return Promise.resolve({ inputs: checked.inputs, failures: [...checked.failures, ...schemaFailures(checked.inputs)] });
    }

    diff({ olds, news }: DiffRequest): Promise<DiffResult> {
        const diffs = Object.keys(conditionalAccessPolicySpec.attributes)
            .filter((name) => containsUnknown(news[name]) || !sameModuloZero(olds[name], news[name]))
            .sort();
        return Promise.resolve({ changes: diffs.length > 0, replaces: [], stables: [], deleteBeforeReplace: false, diffs });
    }

    async create({ inputs, preview }: CreateRequest): Promise<CreateResult> {
        if (preview) return { id: "", outs: plannedState(inputs, ["objectId"]) };
        const graph = this.graph();
        let created: GraphObject;
        try {
            created = await graph.createConditionalAccess("policies", policyBody(inputs));
        } catch (error) {
            throw new TerraformError([errorDiag("Could not create conditional access policy", error)]);
        }
        const objectId = stringOf(created["id"]);
        if (objectId === undefined || objectId === "") {
            throw new TerraformError([errorDiag("Object ID returned for conditional access policy is nil/empty", "bad API response")]);
        }
        let read: GraphObject | undefined;
        for (let attempt = 0; attempt < WAIT_READS && read === undefined; attempt++) {
            read = await graph.getConditionalAccess("policies", objectId);
        }
        if (read === undefined) {
            throw new TerraformError([errorDiag(`Waiting for creation of Conditional Access Policy (Policy: ${JSON.stringify(objectId)})`, "not found")]);
        }
        return { id: `${PATH}${objectId}`, outs: policyOutputs(read) };
    }

    async read({ id, props, inputs }: ReadRequest): Promise<ReadResult> {
        const objectId = parsePolicyId(id);
        let policy: GraphObject | undefined;
        try {
            policy = await this.graph().getConditionalAccess("policies", objectId);
        } catch (error) {
            throw new TerraformError([errorDiag(`retrieving Conditional Access Policy (Policy: ${JSON.stringify(objectId)})`, error, "id")]);
        }
        if (policy === undefined) return { id: "" };
        const outs = policyOutputs(policy);
        return { id, props: outs, inputs: isImportRead(props) ? importedInputs(conditionalAccessPolicySpec, outs) : refreshedInputs(inputs, outs) };
    }

    /** PATCH, five reads in a row with the new display name and state, and the planned state as the new state. */
    async update({ id, olds, news, preview }: UpdateRequest): Promise<PropertyMap> {
        const planned = { ...news, objectId: olds["objectId"] };
        if (preview) return planned;
        const objectId = parsePolicyId(id);
        const graph = this.graph();
        try {
            await graph.updateConditionalAccess("policies", objectId, policyBody(news));
        } catch (error) {
            throw new TerraformError([errorDiag(`Could not update conditional access policy with ID: ${JSON.stringify(id)}`, error)]);
        }
        let inARow = 0;
        for (let attempt = 0; attempt < WAIT_READS && inARow < 5; attempt++) {
            const read = await graph.getConditionalAccess("policies", objectId);
            const done = read !== undefined && read["displayName"] === news["displayName"] && read["state"] === news["state"];
            inARow = done ? inARow + 1 : 0;
        }
        if (inARow < 5) {
            throw new TerraformError([errorDiag(`waiting for update of conditional access policy with ID ${JSON.stringify(id)}`, "timeout while waiting for state to become 'Done'")]);
        }
        return planned;
    }

    async delete({ id, urn }: DeleteRequest): Promise<void> {
        const objectId = parsePolicyId(id);
        const graph = this.graph();
        const text = `Conditional Access Policy (Policy: ${JSON.stringify(objectId)})`;
        if (await graph.getConditionalAccess("policies", objectId) === undefined) return;
        try {
            await graph.deleteConditionalAccess("policies", objectId);
        } catch (error) {
            throw new TerraformError([errorDiag(`Deleting ${text}`, error, "id")], `deleting ${urn}: `);
        }
        for (let attempt = 0; attempt < WAIT_READS; attempt++) {
            if (await graph.getConditionalAccess("policies", objectId) === undefined) return;
        }
        throw new TerraformError([errorDiag(`Waiting for deletion of ${text}`, "still present")], `deleting ${urn}: `);
    }
}

/**
 * The ValidateFuncs of what is modelled: state and grant_controls.operator StringInSlice ("expected %s to be one of %q,
 * got %s", the SDK's validation.StringInSlice text), and the conditions' blocks this stand-in does not send.
 */
function schemaFailures(inputs: PropertyMap): CheckFailure[] {
    const failures: CheckFailure[] = [];
    const state = inputs["state"];
    if (typeof state === "string" && !containsUnknown(state) && !STATES.includes(state)) {
        failures.push({ property: "state", reason: `expected state to be one of ${JSON.stringify(STATES)}, got ${state}` });
    }
    const operator = block(inputs["grantControls"])["operator"];
    if (typeof operator === "string" && !OPERATORS.includes(operator)) {
        failures.push({ property: "grantControls.operator", reason: `expected grant_controls.0.operator to be one of ${JSON.stringify(OPERATORS)}, got ${operator}` });
    }
    for (const key of Object.keys(block(inputs["conditions"])).filter((name) => !MODELLED_CONDITIONS.includes(name))) {
        failures.push({ property: `conditions.${key}`, reason: `the azuread stand-in does not model conditions.${key} of ${CONDITIONAL_ACCESS_POLICY}` });
    }
    return failures;
}
