/**
 * One app identity: an Entra ID app registration for a single tenant, its service principal, two staggered
 * client secrets and Storage Blob roles on resource groups.
 */
import * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import * as authorization from "@pulumi/azure-native/authorization";
import { adoptedAssignment, importIds, type Adoption } from "./adoption";
import { resourceGroupScope, roleAssignmentName, roleDefinitionId } from "./azureIds";
import type { GrantedRole, RoleAssignmentConfig } from "./grants";
import { toDay, toRfc3339 } from "./months";
import { roleAssignmentLogicalName } from "./names";
import { findRole } from "../common/builtInRoles";
import type { SecretSchedule, SecretWindow, SlotName } from "./schedule";
import { registerCertificates } from "./certificateResources";
import type { SlotCertificate } from "./certificates";
import { registerFederatedCredentials, type FederatedCredentialConfig } from "./federated";
import { RegistrationPace } from "./pace";

export interface AppIdentityArgs {
    /** The app registration's display name, such as `inventory-api-dev`. */
    readonly displayName: string;
    /** Object IDs that own the app and service principal: the deployer first, so it can manage what it made. */
    readonly owners: pulumi.Input<string>[];
    readonly subscriptionId: string;
    readonly roleAssignments: readonly RoleAssignmentConfig[];
    readonly secretSchedule: SecretSchedule;
    /**
     * Set for an identity that signs in with certificates: these are registered (infra/certificateResources.ts)
     * and no client secret is made.
     */
    readonly certificates?: readonly SlotCertificate[];
    /** Set for an identity that signs in with an OIDC issuer's tokens (infra/federated.ts): no client secret is made. */
    readonly federatedCredentials?: readonly FederatedCredentialConfig[];
    /**
     * With certificates or federation, keep the two secrets too (keepSecretsUntilSwitched): servers still on their secret keep
     * signing in while each moves to its certificate. The secrets' inputs are the same as before, so they stay.
     */
    readonly keepSecrets?: boolean;
    /**
     * A production identity: protect the app, the service principal and the role assignments, whose deletion is
     * the accident to prevent. Never the client secrets: a rotation replaces them, and the engine refuses to replace
     * a resource protected in both the old and the new state (pulumi/pulumi pkg/resource/deploy/step_generator.go,
     * "unable to replace resource ... as it is currently marked for protection").
     */
    readonly protect: boolean;
    /**
     * A role assignment's logical name → the name it had before (infra/names.ts legacyAliases, over every identity
     * of the stack), if any. Without the alias a rename is a delete and a create, and the create fails: the
     * assignment's GUID name still exists (azure-native "cannot create already existing resource").
     */
    readonly roleAssignmentAliases?: ReadonlyMap<string, string | undefined>;
    /** A hand-made identity to import rather than create (infra/adoption.ts). */
    readonly adopt?: Adoption;
}

/** Made by `AppIdentity.create`, which registers the role assignments at the program's pace (infra/pace.ts). */
export class AppIdentity extends pulumi.ComponentResource {
    readonly application: azuread.Application;
    readonly servicePrincipal: azuread.ServicePrincipal;
    /** Both slots' secrets; none for an identity with certificates, unless it keeps them until switched. */
    readonly secrets: Partial<Readonly<Record<SlotName, azuread.ApplicationPassword>>>;
    readonly certificates: readonly azuread.ApplicationCertificate[];
    readonly federatedCredentials: readonly azuread.ApplicationFederatedIdentityCredential[];
    private readonly assigned: authorization.RoleAssignment[] = [];

    readonly clientId: pulumi.Output<string>;
    readonly servicePrincipalObjectId: pulumi.Output<string>;
    /** The newest secret's value: what env files carry. Unset for an identity with certificates. */
    readonly clientSecret: pulumi.Output<string> | undefined;
    readonly clientSecretExpiresAt: string;
    readonly grantedRoles: readonly GrantedRole[];

    /** The app, its service principal and credentials, then the role assignments, then the component's outputs. */
    static async create(name: string, args: AppIdentityArgs, pace = new RegistrationPace(),
        opts?: pulumi.ComponentResourceOptions): Promise<AppIdentity> {
        const identity = new AppIdentity(name, args, opts);
        // The component, the app, the service principal and the credentials so far.
        await pace.registered(3 + identity.credentials.length);
        identity.assigned.push(...await pace.registerEach(args.roleAssignments, (grant) => identity.assignRole(name, args, grant)));
        identity.registerOutputs(identity.clientSecret === undefined ? {
            clientId: identity.clientId,
            servicePrincipalObjectId: identity.servicePrincipalObjectId,
        } : {
            clientId: identity.clientId,
            servicePrincipalObjectId: identity.servicePrincipalObjectId,
            clientSecret: identity.clientSecret,
            clientSecretExpiresAt: identity.clientSecretExpiresAt,
        });
        return identity;
    }

    get roleAssignments(): readonly authorization.RoleAssignment[] {
        return this.assigned;
    }

    /** The secrets, certificates and federated credentials: what each role assignment waits for (see assignRole). */
    private readonly credentials: pulumi.Resource[];

    private constructor(name: string, args: AppIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("appidentity:azure:AppIdentity", name, {}, opts);
        const child = { parent: this };
        const imports = args.adopt === undefined ? undefined : importIds(args.adopt);

        this.application = new azuread.Application(name, {
            displayName: args.displayName,
            signInAudience: "AzureADMyOrg",
            // Display names are not unique in Entra: a retried create must not make a second app.
            preventDuplicateNames: true,
            owners: args.owners,
        }, {
            ...child,
            protect: args.protect,
            // A replacement (a revoke) must delete the old app before creating the new one: with
            // preventDuplicateNames, Entra refuses a second app of the same name while the first exists.
            deleteBeforeReplace: true,
            ...(imports === undefined ? {} : { import: imports.application }),
        });

        this.servicePrincipal = new azuread.ServicePrincipal(name, {
            clientId: this.application.clientId,
            owners: args.owners,
        }, { ...child, protect: args.protect, ...(imports?.servicePrincipal === undefined ? {} : { import: imports.servicePrincipal }) });

        const { current, previous } = args.secretSchedule;
        this.certificates = args.certificates === undefined ? []
            : registerCertificates(name, this.application.id, args.certificates, child);
        this.federatedCredentials = args.federatedCredentials === undefined ? []
            : registerFederatedCredentials(name, this.application.id, args.federatedCredentials, child);
        const secretFor = (window: SecretWindow) =>
            new azuread.ApplicationPassword(`${name}-secret-${window.slot}`, {
                applicationId: this.application.id,
                displayName: `slot ${window.slot}, rotated ${toDay(window.rotatedAt)}`,
                // Explicit and fixed for the whole window: an end date read from the clock would replace the
                // secret at every run, and the deprecated endDateRelative falls back to Graph's default.
                endDate: toRfc3339(window.endDate),
            }, {
                ...child,
                // Never protected, whatever the parent's protect (which children inherit, pulumi/pulumi
                // sdk/nodejs/resource.ts): a protected secret could never rotate.
                protect: false,
            });
        const withSecrets = (args.certificates === undefined && args.federatedCredentials === undefined) || args.keepSecrets === true;
        const currentSecret = withSecrets ? secretFor(current) : undefined;
        const previousSecret = withSecrets ? secretFor(previous) : undefined;
        this.secrets = current.slot === "a"
            ? { a: currentSecret, b: previousSecret }
            : { a: previousSecret, b: currentSecret };
        this.credentials = [...Object.values(this.secrets), ...this.certificates, ...this.federatedCredentials]
            .filter((resource) => resource !== undefined);

        this.clientId = this.application.clientId;
        this.servicePrincipalObjectId = this.servicePrincipal.objectId;
        this.clientSecret = currentSecret === undefined ? undefined : pulumi.secret(currentSecret.value);
        this.clientSecretExpiresAt = toRfc3339(current.endDate);
        this.grantedRoles = args.roleAssignments.map(({ resourceGroup, role }) => ({
            scope: resourceGroupScope(args.subscriptionId, resourceGroup),
            role,
        }));
    }

    private assignRole(name: string, args: AppIdentityArgs, { resourceGroup, role }: RoleAssignmentConfig): authorization.RoleAssignment {
        const scope = resourceGroupScope(args.subscriptionId, resourceGroup);
        const definition = roleDefinitionId(args.subscriptionId, requireRole(role).id);
        const logicalName = roleAssignmentLogicalName({ identity: name, resourceGroup, role });
        const legacyName = args.roleAssignmentAliases?.get(logicalName);
        const adopted = adoptedAssignment(args.adopt, args.subscriptionId, { resourceGroup, role });
        return new authorization.RoleAssignment(logicalName, {
            scope,
            roleDefinitionId: definition,
            principalId: this.servicePrincipalObjectId,
            // Without it the SDK sends "User" and Azure answers UnmatchedPrincipalType; it also spares the
            // PrincipalNotFound that Entra replication delay causes right after the principal is created.
            principalType: "ServicePrincipal",
            roleAssignmentName: adopted?.name ?? this.servicePrincipalObjectId.apply((id) => roleAssignmentName(scope, definition, id)),
        }, {
            parent: this,
            protect: args.protect,
            // Keeps `pulumi destroy --skip-preview` of a production stack from deleting the unprotected secrets.
            // The engine deletes dependents before their dependencies, so these assignments, the deepest
            // resources, come first (pulumi/pulumi pkg/resource/deploy/step_generator.go ScheduleDeletes); a
            // protected one fails with deleteProtectedError (step.go), and the engine then skips every transitive
            // dependency of a failed delete (deployment_executor.go performPostSteps): through this edge, the
            // secrets too. A dependsOn edge never forces a replacement (step_generator.go
            // calculateDependentReplacements reads property dependencies only; diff compares inputs), so a
            // rotation leaves the assignments unchanged.
            dependsOn: this.credentials,
            // Only the name changed: an alias with no parent, type, stack or project keeps the resource's own
            // (pulumi/pulumi sdk/nodejs/runtime/resource.ts mapAliasesForRequest sends the parent's URN;
            // pkg/resource/deploy/step_generator.go collapseAliasToUrn fills in the rest), so the engine finds
            // the old URN in the state and updates in place.
            ...(legacyName === undefined ? {} : { aliases: [{ name: legacyName }] }),
            ...(adopted === undefined ? {} : { import: adopted.id }),
        });
    }
}

function requireRole(name: string) {
    const role = findRole(name);
    // Config validation lets only known roles through; reaching this is a bug, not a user mistake.
    if (role === undefined) throw new Error(`unknown role ${JSON.stringify(name)}`);
    return role;
}
