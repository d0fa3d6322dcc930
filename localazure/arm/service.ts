/**
 * Azure Resource Manager (https://management.azure.com): authenticates the bearer token as ARM does, checks the
 * api-version and the subscription, and serves the cloud metadata, subscriptions, role definitions, and role
 * assignments at subscription and resource-group scope.
 */
import type { StandInRequest, StandInResponse, StandInService } from "../standin/server";
import type { Store } from "../store";
import { audienceMatches, RESOURCES, type AccessTokenClaims, type TokenIssuer } from "../tokens";
import { ArmError, armErrorResponse, armHeaders, dotnetTime } from "./errors";
import { getMachine, MACHINE_ROUTE } from "./machines";
import { cloudMetadata, METADATA_PATH } from "./metadata";
import { getRoleDefinition, listRoleDefinitions, ROLE_DEFINITION_API_VERSIONS, ROLE_DEFINITIONS_PATH } from "./roleDefinitionCatalog";
import { getSubscription, listSubscriptions, SUBSCRIPTION_API_VERSIONS, SUBSCRIPTIONS_PATH } from "./subscriptions";
import { deleteRoleAssignment, getRoleAssignment, listRoleAssignments, putRoleAssignment, type ArmResult } from "./roleAssignments";

export const ARM_HOST = "management.azure.com";

/** api-versions of Microsoft.Authorization/roleAssignments (azure-rest-api-specs, Microsoft.Authorization stable and preview folders). */
const API_VERSIONS = ["2015-07-01", "2018-01-01-preview", "2018-09-01-preview", "2020-04-01-preview", "2020-08-01-preview",
    "2020-10-01-preview", "2022-01-01-preview", "2022-04-01"];

const ROUTE = /^\/subscriptions\/([^/]+)(?:\/resourcegroups\/([^/]+))?\/providers\/microsoft\.authorization\/roleassignments(?:\/([^/]+))?\/?$/i;

export class ArmService implements StandInService {
    constructor(private readonly store: Store, private readonly issuer: TokenIssuer, private readonly now: () => Date) {}

    matches(host: string): boolean {
        return host === ARM_HOST;
    }

    handle(request: StandInRequest): StandInResponse {
        try {
            const result = this.route(request);
            return { status: result.status, headers: armHeaders(), body: result.body === undefined ? "" : JSON.stringify(result.body) };
        } catch (error) {
            if (error instanceof ArmError) return armErrorResponse(error);
            throw error;
        }
    }

    /**
     * 401 answers of ARM's front door (learn.microsoft.com/azure/azure-resource-manager/troubleshooting/common-deployment-errors):
     * AuthenticationFailed without a token, InvalidAuthenticationToken for one it cannot validate,
     * ExpiredAuthenticationToken, InvalidAuthenticationTokenAudience for another resource's token.
     */
    private authenticate(request: StandInRequest): AccessTokenClaims {
        const verification = this.issuer.fromHeader(request.headers.authorization);
        if (verification === undefined) {
            throw new ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.");
        }
        if (!verification.ok) {
            if (verification.reason === "expired" && verification.claims !== undefined) {
                throw new ArmError(401, "ExpiredAuthenticationToken", `The access token expiry UTC time ` +
                    `'${dotnetTime(new Date(verification.claims.exp * 1000))}' is earlier than current UTC time '${dotnetTime(this.now())}'.`);
            }
            throw new ArmError(401, "InvalidAuthenticationToken", "The access token is invalid.");
        }
        if (!audienceMatches(verification.claims.aud, RESOURCES.management)) {
            throw new ArmError(401, "InvalidAuthenticationTokenAudience", `The access token has been obtained for wrong audience ` +
                `or resource '${verification.claims.aud}'. It should exactly match with one of the allowed audiences ` +
                "'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'.");
        }
        return verification.claims;
    }

    /** Subscriptions (subscriptions.ts) and role definitions (roleDefinitionCatalog.ts); undefined for other paths. */
    private lists(request: StandInRequest, caller: AccessTokenClaims, apiVersion: string): ArmResult | undefined {
        const path = request.url.pathname;
        const subscriptions = SUBSCRIPTIONS_PATH.exec(path);
        const definitions = subscriptions === null ? ROLE_DEFINITIONS_PATH.exec(path) : null;
        if (subscriptions === null && definitions === null) return undefined;
        requireApiVersion(apiVersion, subscriptions !== null ? SUBSCRIPTION_API_VERSIONS : ROLE_DEFINITION_API_VERSIONS);
        if (request.method !== "GET") {
            throw new ArmError(405, "MethodNotAllowed", `The HTTP method '${request.method}' is not supported at '${path}'.`);
        }
        const state = this.store.state;
        if (subscriptions !== null) {
            const id = subscriptions[1];
            return id === undefined ? listSubscriptions(state, caller) : getSubscription(state, caller, decodeURIComponent(id));
        }
        const [, scope = "", id] = definitions!.map((part) => part === undefined ? undefined : decodeURIComponent(part));
        const subscriptionId = /^\/subscriptions\/([^/]+)/i.exec(scope)?.[1];
        if (subscriptionId !== undefined) this.subscription(subscriptionId);
        return id === undefined
            ? listRoleDefinitions(state, caller, scope, request.url.searchParams.get("$filter"))
            : getRoleDefinition(state, caller, scope, id);
    }

    private subscription(subscriptionId: string): string {
        const subscription = Object.keys(this.store.state.subscriptions).find((id) => id === subscriptionId.toLowerCase());
        if (subscription === undefined) {
            throw new ArmError(404, "SubscriptionNotFound", `The subscription '${subscriptionId}' could not be found.`);
        }
        return subscription;
    }

    private route(request: StandInRequest): ArmResult {
        // Served without a token, as ARM serves it (metadata.ts).
        if (METADATA_PATH.test(request.url.pathname) && request.method === "GET") return cloudMetadata(request.url.searchParams.get("api-version"));
        const apiVersion = request.url.searchParams.get("api-version");
        if (apiVersion === null) {
            throw new ArmError(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
        }
        const caller = this.authenticate(request);
        const machine = MACHINE_ROUTE.exec(request.url.pathname);
        if (machine !== null && request.method === "GET") {
            const [, subscriptionId = "", resourceGroup = "", name = ""] = machine.map((part) => decodeURIComponent(part ?? ""));
            return getMachine(this.store, caller, this.subscription(subscriptionId), resourceGroup, name, apiVersion);
        }
        const listed = this.lists(request, caller, apiVersion);
        if (listed !== undefined) return listed;
        const match = ROUTE.exec(request.url.pathname);
        if (match === null) {
            throw new ArmError(404, "InvalidResourceType", `The local Azure serves no resource at '${request.url.pathname}'.`);
        }
        requireApiVersion(apiVersion, API_VERSIONS);
        const [, subscriptionId = "", resourceGroup, name] = match.map((part) => part === undefined ? undefined : decodeURIComponent(part));
        const subscription = Object.keys(this.store.state.subscriptions).find((id) => id === subscriptionId.toLowerCase());
        if (subscription === undefined) {
            throw new ArmError(404, "SubscriptionNotFound", `The subscription '${subscriptionId}' could not be found.`);
        }
        const scope = resourceGroup === undefined ? { subscriptionId: subscription } : { subscriptionId: subscription, resourceGroup };
        const method = request.method;
        if (name === undefined) {
            if (method === "GET") return listRoleAssignments(this.store, caller, scope, request.url.searchParams.get("$filter"));
        } else {
            if (method === "PUT") return putRoleAssignment(this.store, caller, scope, name, request.body, this.now());
            if (method === "GET") return getRoleAssignment(this.store, caller, scope, name);
            if (method === "DELETE") return deleteRoleAssignment(this.store, caller, scope, name);
        }
        throw new ArmError(405, "MethodNotAllowed", `The HTTP method '${method}' is not supported at '${request.url.pathname}'.`);
    }
}

/** ARM's answer to an api-version the resource type does not have. */
function requireApiVersion(apiVersion: string, supported: readonly string[]): void {
    if (!supported.includes(apiVersion)) {
        throw new ArmError(400, "InvalidApiVersionParameter", `The api-version '${apiVersion}' is invalid. ` +
            `The supported versions are '${supported.join(",")}'.`);
    }
}
