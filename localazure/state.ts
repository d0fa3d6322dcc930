/**
 * What the local Azure holds: one tenant's directory (applications, service principals, their owners and
 * passwords), its subscriptions' resource groups and role assignments, and the blobs of its storage accounts.
 * Plain JSON, so that the store can write it to a file and read it back after a restart.
 */

export interface PasswordRecord {
    readonly keyId: string;
    readonly displayName: string | null;
    readonly hint: string;
    readonly startDateTime: string;
    readonly endDateTime: string;
    /** SHA-256 of the secret: like Entra, the local Azure never keeps a secret it could show again. */
    readonly secretHash: string;
}

export interface ApplicationRecord {
    readonly id: string;
    readonly appId: string;
    readonly createdDateTime: string;
    /** Every other Graph property as last written (displayName, signInAudience, web, tags, ...). */
    properties: Record<string, unknown>;
    owners: string[];
    passwords: PasswordRecord[];
}

export interface ServicePrincipalRecord {
    readonly id: string;
    readonly appId: string;
    properties: Record<string, unknown>;
    owners: string[];
    /** Microsoft Graph application permissions granted to it (admin consent): they become the token's `roles`. */
    graphPermissions: string[];
}

export interface RoleAssignmentRecord {
    readonly name: string;
    readonly scope: string;
    readonly roleDefinitionId: string;
    readonly principalId: string;
    readonly principalType: string;
    condition: string | null;
    conditionVersion: string | null;
    description: string | null;
    readonly createdOn: string;
    updatedOn: string;
    readonly createdBy: string | null;
    updatedBy: string | null;
}

/**
 * An object in the directory's deleted items (localazure/graph/deletedItems.ts): kept whole, credentials and owners
 * included, until it is restored or deleted for good.
 */
export interface DeletedItemRecord {
    readonly kind: "application" | "servicePrincipal";
    readonly deletedDateTime: string;
    readonly application?: ApplicationRecord;
    readonly servicePrincipal?: ServicePrincipalRecord;
}

/** An ARM resource other than a role assignment (an Arc machine), as a GET answers it. */
export interface ArmResourceRecord {
    readonly id: string;
    readonly type: string;
    readonly body: Record<string, unknown>;
}

export interface Credential {
    readonly clientId: string;
    /** A local test credential, made at the first start and kept in the state file so that it can be printed again. */
    readonly clientSecret: string;
    readonly objectId: string;
}

/** Containers and blobs by account. */
export type BlobData = Record<string, Record<string, Record<string, StoredBlob>>>;

export interface StoredBlob {
    /** base64 */
    readonly body: string;
    readonly etag: string;
    readonly modified: string;
}

/**
 * One restriction of an app management policy (Microsoft Graph v1.0 passwordCredentialConfiguration and
 * keyCredentialConfiguration resource types): `maxLifetime` an ISO 8601 duration, required for the lifetime types.
 */
export interface CredentialRestriction {
    readonly restrictionType: string;
    readonly maxLifetime: string | null;
    readonly restrictForAppsCreatedAfterDateTime: string | null;
    readonly state: "enabled" | "disabled";
    /** trustedCertificateAuthority (beta keyCredentialConfiguration): the trusted authorities' configurations. */
    readonly certificateBasedApplicationConfigurationIds?: readonly string[];
    /** appManagementPolicyActorExemptions: callers holding one of these custom security attributes are exempt. */
    readonly excludeActors?: { readonly customSecurityAttributes: readonly ActorExemptionRecord[] };
}

/** customSecurityAttributeStringValueExemption: `id` "AttributeSetName_AttributeName", operator `equals`. */
export interface ActorExemptionRecord {
    readonly "@odata.type": "#microsoft.graph.customSecurityAttributeStringValueExemption";
    readonly id: string;
    readonly operator: "equals";
    readonly value: string;
}

/** appManagementConfiguration: the restrictions on passwords (client secrets) and keys (certificates). */
export interface AppManagementRestrictions {
    readonly passwordCredentials: readonly CredentialRestriction[];
    readonly keyCredentials: readonly CredentialRestriction[];
}

/** tenantAppManagementPolicy (the tenant's default) or appManagementPolicy (assigned to apps by `appliesTo`). */
export interface AppManagementPolicyRecord {
    readonly id: string;
    displayName: string;
    description: string;
    isEnabled: boolean;
    /** `restrictions` of an appManagementPolicy, `applicationRestrictions` of the tenant's default. */
    restrictions: AppManagementRestrictions;
    /** Object IDs of the applications it is assigned to (appliesTo); empty for the default. */
    appliesTo: string[];
}

export interface AppManagementState {
    defaultPolicy: AppManagementPolicyRecord;
    policies: AppManagementPolicyRecord[];
}

/** An ipNamedLocation (Graph v1.0): the ranges as written, each with the @odata.type of its family. */
export interface NamedLocationRecord {
    readonly id: string;
    displayName: string;
    isTrusted: boolean;
    ipRanges: { readonly "@odata.type": string; readonly cidrAddress: string }[];
    readonly createdDateTime: string;
    modifiedDateTime: string;
}

/** A conditionalAccessPolicy (Graph v1.0), its conditions and controls kept as Graph answers them. */
export interface ConditionalAccessPolicyRecord {
    readonly id: string;
    displayName: string;
    state: string;
    conditions: Record<string, unknown>;
    grantControls: Record<string, unknown> | null;
    sessionControls: Record<string, unknown> | null;
    readonly createdDateTime: string;
    modifiedDateTime: string;
}

export interface ConditionalAccessState {
    namedLocations: NamedLocationRecord[];
    policies: ConditionalAccessPolicyRecord[];
}

export interface State {
    readonly version: 1;
    readonly tenantId: string;
    readonly subscriptionId: string;
    /** HS256 key of the token issuer (base64): kept, so that a token issued before a restart stays valid. */
    readonly signingKey: string;
    /** Each subscription's resource groups: the stack files' placeholders put prod in a subscription of its own. */
    readonly subscriptions: Record<string, string[]>;
    readonly storageAccounts: Record<string, { readonly subscriptionId: string; readonly resourceGroup: string }>;
    readonly deployer: Credential;
    /** The read-only preview identity (docs/deployer.md section 7); absent in a state written before it was seeded. */
    readonly previewer?: Credential;
    readonly admin: Credential;
    applications: ApplicationRecord[];
    servicePrincipals: ServicePrincipalRecord[];
    roleAssignments: RoleAssignmentRecord[];
    /** Deleted applications and service principals (Graph directory/deletedItems); absent in a state written before they were modelled. */
    deletedItems?: DeletedItemRecord[];
    /** Arc machines (localazure/arm/machines.ts); absent in a state written before they were modelled. */
    armResources?: ArmResourceRecord[];
    blobs: BlobData;
    /** The tenant's app management policies; absent in a state written before they were modelled (then: the default, disabled). */
    appManagement?: AppManagementState;
    /** Named locations and Conditional Access policies (graph/conditionalAccess.ts); absent in a state written before them. */
    conditionalAccess?: ConditionalAccessState;
}
