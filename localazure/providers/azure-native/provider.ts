/** The azure-native stand-in: pulumi-azure-native 3.28.0's RoleAssignment, on the local Azure Resource Manager. */
import { ARM, clientSecretCredential, TokenSource } from "../shared/auth";
import { DispatchingProvider } from "../shared/dispatch";
import { LocalAzureClient, localAzureUrl } from "../shared/localAzure";
import type { InvokeHandler, PropertyMap, ResourceHandler } from "../shared/types";
import { ArmClient } from "./arm";
import { GET_MACHINE, getMachineHandler } from "./getMachine";
import { ROLE_ASSIGNMENT, RoleAssignmentHandler } from "./roleAssignment";

export const AZURE_NATIVE_VERSION = "3.28.0";

export class AzureNativeProvider extends DispatchingProvider {
    private readonly http: LocalAzureClient;
    private arm: ArmClient | undefined;
    private subscriptionId = "";

    protected readonly resources: Readonly<Record<string, ResourceHandler>>;
    /** The one function the program calls: a managed-identity stack's Arc machine lookup (infra/managedIdentity.ts). */
    protected readonly functions: Readonly<Record<string, InvokeHandler>>;

    /** Refuses to exist without LOCAL_AZURE_URL: there is no real ARM behind this provider. */
    constructor(private readonly env: NodeJS.ProcessEnv = process.env) {
        super("azure-native", AZURE_NATIVE_VERSION);
        this.http = new LocalAzureClient(localAzureUrl(env));
        this.resources = { [ROLE_ASSIGNMENT]: new RoleAssignmentHandler(() => this.configured()) };
        this.functions = { [GET_MACHINE]: getMachineHandler(() => this.configured(), () => this.subscriptionId) };
    }

    /** Client-secret sign-in (provider.go Configure, readAuthConfig); the ARM token is fetched at once. */
    async configure(args: PropertyMap): Promise<void> {
        const credential = clientSecretCredential(this.name, args, this.env);
        // provider.go Configure: authConfig.SubscriptionID, from azure-native:subscriptionId or ARM_SUBSCRIPTION_ID.
        const configured = args["subscriptionId"];
        this.subscriptionId = typeof configured === "string" && configured !== "" ? configured : this.env["ARM_SUBSCRIPTION_ID"] ?? "";
        const tokens = new TokenSource(this.name, this.http, credential);
        await tokens.token(ARM);
        this.arm = new ArmClient(this.http, tokens);
    }

    private configured(): ArmClient {
        if (this.arm === undefined) throw new Error("azure-native: the provider is not configured (Configure was not called)");
        return this.arm;
    }
}
