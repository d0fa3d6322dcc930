/** The azuread stand-in: pulumi-azuread 6.9.1's resources the program uses, on the local Graph. */
import { clientSecretCredential, GRAPH, TokenSource } from "../shared/auth";
import { DispatchingProvider } from "../shared/dispatch";
import { LocalAzureClient, localAzureUrl } from "../shared/localAzure";
import type { InvokeHandler, PropertyMap, ResourceHandler } from "../shared/types";
import { APPLICATION, ApplicationHandler } from "./application";
import { APPLICATION_CERTIFICATE, ApplicationCertificateHandler } from "./applicationCertificate";
import { APPLICATION_FEDERATED_IDENTITY_CREDENTIAL, ApplicationFederatedIdentityCredentialHandler } from "./applicationFederatedIdentityCredential";
import { APPLICATION_PASSWORD, ApplicationPasswordHandler } from "./applicationPassword";
import { clientConfig, GET_CLIENT_CONFIG } from "./clientConfig";
import { CONDITIONAL_ACCESS_POLICY, ConditionalAccessPolicyHandler } from "./conditionalAccessPolicy";
import { NAMED_LOCATION, NamedLocationHandler } from "./namedLocation";
import { GraphClient } from "./graph";
import { realClock } from "./retries";
import { SERVICE_PRINCIPAL, ServicePrincipalHandler } from "./servicePrincipal";
import { pollClock } from "./stateChange";

export const AZUREAD_VERSION = "6.9.1";

interface Session {
    readonly tokens: TokenSource;
    readonly graph: GraphClient;
    readonly secretOutputs: boolean;
}

export class AzureAdProvider extends DispatchingProvider {
    private readonly http: LocalAzureClient;
    private session: Session | undefined;

    protected readonly resources: Readonly<Record<string, ResourceHandler>>;
    protected readonly functions: Readonly<Record<string, InvokeHandler>>;

    /** Refuses to exist without LOCAL_AZURE_URL: there is no real Graph behind this provider. */
    constructor(private readonly env: NodeJS.ProcessEnv = process.env) {
        super("azuread", AZUREAD_VERSION);
        this.http = new LocalAzureClient(localAzureUrl(env));
        const graph = () => this.configured().graph;
        const clock = pollClock(env, realClock);
        this.resources = {
            [APPLICATION]: new ApplicationHandler(graph),
            [SERVICE_PRINCIPAL]: new ServicePrincipalHandler(graph),
            [APPLICATION_PASSWORD]: new ApplicationPasswordHandler(graph, { secretOutputs: () => this.configured().secretOutputs, clock }),
            [APPLICATION_CERTIFICATE]: new ApplicationCertificateHandler(graph, { secretOutputs: () => this.configured().secretOutputs, clock }),
            [APPLICATION_FEDERATED_IDENTITY_CREDENTIAL]: new ApplicationFederatedIdentityCredentialHandler(graph, { clock }),
            [NAMED_LOCATION]: new NamedLocationHandler(graph),
            [CONDITIONAL_ACCESS_POLICY]: new ConditionalAccessPolicyHandler(graph),
        };
        this.functions = {
            [GET_CLIENT_CONFIG]: async () => {
                const { tokens } = this.configured();
                return clientConfig(tokens.credential, (await tokens.claims(GRAPH)).oid);
            },
        };
    }

    /** Signs in at once, as the real provider does (internal/clients/client.go: "Acquire an access token upfront"). */
    async configure(args: PropertyMap, acceptSecrets: boolean): Promise<void> {
        const credential = clientSecretCredential(this.name, args, this.env);
        const tokens = new TokenSource(this.name, this.http, credential);
        await tokens.token(GRAPH);
        this.session = { tokens, graph: new GraphClient(this.http, tokens), secretOutputs: acceptSecrets };
    }

    private configured(): Session {
        if (this.session === undefined) throw new Error("azuread: the provider is not configured (Configure was not called)");
        return this.session;
    }
}
