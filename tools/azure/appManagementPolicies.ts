/**
 * Reads the tenant's app management policies as the deploying identity: the default
 * (GET /v1.0/policies/defaultAppManagementPolicy, tenantappmanagementpolicy-get) and, for each of the stack's
 * identities whose app exists (found by display name, as the azuread provider finds it: `$filter=displayName eq`),
 * the policies assigned to it (GET /v1.0/applications/{id}/appManagementPolicies). Each needs
 * Policy.Read.ApplicationConfiguration (or Policy.Read.All); the app lookup, the deployer's Application permission.
 * The policies are read with `Prefer: include-unknown-enum-members`: without it Graph answers a restriction type added
 * past the enum's unknownFutureValue sentinel (trustedCertificateAuthority, in v1.0) as "unknownFutureValue"
 * (github.com/microsoft/api-guidelines, graph/patterns/evolvable-enums.md; learn.microsoft.com/graph/best-practices-concept,
 * "Handling future members in evolvable enumerations").
 */
import { PolicyShapeError, type ActorExemption, type IdentityPolicies, type Policy, type Restriction, type TenantPolicies,
} from "../credentialPolicy/appManagementPolicy";
import { GRAPH, type AzureReader } from "./rest";

/** Asks Graph for every member of an evolvable enum, not only those before unknownFutureValue. */
export const INCLUDE_UNKNOWN_ENUM_MEMBERS = { prefer: "include-unknown-enum-members" } as const;

interface GraphApplication {
    readonly id?: unknown;
    readonly displayName?: unknown;
    readonly createdDateTime?: unknown;
}

export async function readTenantPolicies(reader: AzureReader, displayNames: readonly string[]): Promise<TenantPolicies> {
    const defaultPolicy = policyOf(await reader.get<unknown>(GRAPH, "/v1.0/policies/defaultAppManagementPolicy", INCLUDE_UNKNOWN_ENUM_MEMBERS), true);
    const identities: IdentityPolicies[] = [];
    for (const identity of displayNames) {
        const filter = `displayName eq '${identity.replace(/'/g, "''")}'`;
        const apps = (await reader.list<GraphApplication>(GRAPH, `/v1.0/applications?$filter=${encodeURIComponent(filter)}`))
            .filter((app) => app.displayName === identity);
        if (apps.length === 0) identities.push({ identity, createdDateTime: undefined, assigned: [] });
        for (const app of apps) {
            if (typeof app.id !== "string" || typeof app.createdDateTime !== "string") {
                throw new PolicyShapeError(`Graph listed the app ${identity} without an id or createdDateTime`);
            }
            const assigned = await reader.list<unknown>(GRAPH, `/v1.0/applications/${encodeURIComponent(app.id)}/appManagementPolicies`,
                INCLUDE_UNKNOWN_ENUM_MEMBERS);
            identities.push({ identity, createdDateTime: app.createdDateTime, assigned: assigned.map((policy) => policyOf(policy, false)) });
        }
    }
    return { defaultPolicy, identities };
}

/** A tenantAppManagementPolicy (`applicationRestrictions`) or an appManagementPolicy (`restrictions`). */
export function policyOf(value: unknown, isDefault: boolean): Policy {
    const body = record(value, "an app management policy");
    const where = isDefault ? "the default app management policy" : `app management policy ${String(body["id"])}`;
    const restrictions = record(body[isDefault ? "applicationRestrictions" : "restrictions"] ?? {}, `${where}'s restrictions`);
    if (typeof body["id"] !== "string" || typeof body["isEnabled"] !== "boolean") {
        throw new PolicyShapeError(`Graph answered ${where} without an id or isEnabled`);
    }
    return {
        id: body["id"], displayName: typeof body["displayName"] === "string" ? body["displayName"] : "", isEnabled: body["isEnabled"],
        isDefault,
        passwordCredentials: restrictionsOf(restrictions["passwordCredentials"], where),
        keyCredentials: restrictionsOf(restrictions["keyCredentials"], where),
    };
}

function restrictionsOf(value: unknown, where: string): Restriction[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) throw new PolicyShapeError(`Graph answered ${where} with restrictions that are not a list`);
    return value.map((entry: unknown) => {
        const item = record(entry, `a restriction of ${where}`);
        const text = (key: string) => (typeof item[key] === "string" ? item[key] : null);
        const restrictionType = text("restrictionType");
        if (restrictionType === null) throw new PolicyShapeError(`Graph answered ${where} with a restriction without restrictionType`);
        const ids = item["certificateBasedApplicationConfigurationIds"];
        if (ids !== undefined && ids !== null && (!Array.isArray(ids) || !ids.every((id) => typeof id === "string"))) {
            throw new PolicyShapeError(`Graph answered ${where} with certificateBasedApplicationConfigurationIds that are not a list of IDs`);
        }
        const exemptions = exemptionsOf(item["excludeActors"], where);
        return { restrictionType, maxLifetime: text("maxLifetime"),
            restrictForAppsCreatedAfterDateTime: text("restrictForAppsCreatedAfterDateTime"),
            // Graph's default for a restriction written without a state (localazure/graph/policies.ts says the same).
            state: text("state") ?? "enabled",
            ...(Array.isArray(ids) && ids.length > 0 ? { certificateBasedApplicationConfigurationIds: ids } : {}),
            ...(exemptions.length > 0 ? { excludeActors: exemptions } : {}) };
    });
}

/** appManagementPolicyActorExemptions: `{customSecurityAttributes: [{id, operator, value}]}`, or null. */
function exemptionsOf(value: unknown, where: string): ActorExemption[] {
    if (value === undefined || value === null) return [];
    const attributes = record(value, `the excludeActors of a restriction of ${where}`)["customSecurityAttributes"] ?? [];
    if (!Array.isArray(attributes)) throw new PolicyShapeError(`Graph answered ${where} with excludeActors whose customSecurityAttributes are not a list`);
    return attributes.map((entry: unknown) => {
        const item = record(entry, `an exemption of ${where}`);
        if (typeof item["id"] !== "string" || typeof item["operator"] !== "string") {
            throw new PolicyShapeError(`Graph answered ${where} with an exemption without an id or operator`);
        }
        return { id: item["id"], operator: item["operator"], value: typeof item["value"] === "string" ? item["value"] : null };
    });
}

function record(value: unknown, what: string): Record<string, unknown> {
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw new PolicyShapeError(`Graph answered ${what} that is not an object`);
    return value as Record<string, unknown>;
}
