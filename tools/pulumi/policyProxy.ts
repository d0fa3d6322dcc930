/**
 * The analyzer proxy a Node.js language host puts in front of a policy pack: a model of pulumi/pulumi
 * sdk/policy_proxy.go (PolicyProxy) at v3.276.0, read in the sdk/v3 module the CLI is built from (since v3.248.0 it
 * gained only Abort). The engine talks to it first: it answers Handshake and ConfigureStack itself, and the language host starts the policy pack only once the stack's configuration has
 * arrived, because @pulumi/policy reads the stack from environment variables. Every other call is forwarded to the
 * policy pack's own analyzer server, whose port it prints on its stdout.
 */
import * as grpc from "@grpc/grpc-js";
import * as analyzerproto from "@pulumi/pulumi/proto/analyzer_pb";
import * as analyzerrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";

type Unary = (request: unknown, callback: (error: grpc.ServiceError | null, response?: unknown) => void) => void;

export class PolicyProxy {
    private readonly server = new grpc.Server();
    private configured: (request: analyzerproto.AnalyzerStackConfigureRequest | undefined) => void = () => undefined;
    /** policy_proxy.go: the stack configuration, or none when another call comes first. */
    readonly configuration = new Promise<analyzerproto.AnalyzerStackConfigureRequest | undefined>((done) => (this.configured = done));
    private attached: (client: grpc.Client | Error) => void = () => undefined;
    private readonly client = new Promise<grpc.Client | Error>((done) => (this.attached = done));
    port = 0;

    async start(): Promise<number> {
        const forward = (method: string): grpc.handleUnaryCall<unknown, unknown> => (call, callback) => {
            // policy_proxy.go awaitClient: a call before ConfigureStack means "no configuration".
            this.configured(undefined);
            void this.client.then((client) => {
                if (client instanceof Error) {
                    // awaitClient: `policy pack not started: %w`, a plain Go error, which gRPC sends as Unknown.
                    callback(Object.assign(new Error(`policy pack not started: ${client.message}`), {
                        code: grpc.status.UNKNOWN, details: `policy pack not started: ${client.message}`, metadata: new grpc.Metadata(),
                    }));
                    return;
                }
                (client as unknown as Record<string, Unary>)[method]!.call(client, call.request, (error, response) =>
                    callback(error, response));
            });
        };
        this.server.addService(analyzerrpc.AnalyzerService, {
            handshake: (_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
                callback(null, new analyzerproto.AnalyzerHandshakeResponse()),
            configureStack: (call: grpc.ServerUnaryCall<analyzerproto.AnalyzerStackConfigureRequest, unknown>,
                callback: grpc.sendUnaryData<unknown>) => {
                this.configured(call.request);
                callback(null, new analyzerproto.AnalyzerStackConfigureResponse());
            },
            analyze: forward("analyze"),
            analyzeStack: forward("analyzeStack"),
            remediate: forward("remediate"),
            getAnalyzerInfo: forward("getAnalyzerInfo"),
            getPluginInfo: forward("getPluginInfo"),
            configure: forward("configure"),
            cancel: forward("cancel"),
        });
        this.port = await new Promise<number>((done, fail) =>
            this.server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) =>
                error === null ? done(port) : fail(error)));
        return this.port;
    }

    /** policy_proxy.go Attach: connect to the policy pack's port and hand it the configuration seen earlier. */
    async attach(port: number): Promise<void> {
        const client = new analyzerrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        const configuration = await this.configuration;
        if (configuration !== undefined) {
            const failure = await new Promise<grpc.ServiceError | null>((done) =>
                client.configureStack(configuration, (error) => done(error)));
            // Older policy packs do not implement ConfigureStack: that is fine (policy_proxy.go).
            if (failure !== null && failure.code !== grpc.status.UNIMPLEMENTED) {
                const error = new Error(`policy pack configuration failed: ${failure.message}`);
                this.attached(error);
                throw error;
            }
        }
        this.attached(client);
    }

    /** policy_proxy.go Attach: the pack's port could not be read; waiting and later calls fail with why. */
    fail(error: Error): void {
        this.attached(error);
    }

    /**
     * policy_proxy.go Abort (new since v3.248.0): the policy pack's process did not start, so waiting and later calls
     * fail with "policy pack failed to start: <why>"; a second Abort changes nothing (policy_proxy_test.go
     * TestPolicyProxy_Abort_UnblocksAwaitClient).
     */
    abort(error: Error): void {
        this.attached(new Error(`policy pack failed to start: ${error.message}`));
    }

    stop(): void {
        this.server.forceShutdown();
    }
}
