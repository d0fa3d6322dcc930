/**
 * Serves a stand-in provider over gRPC as a `pulumi-resource-<name>` plugin does: listens on a loopback port and
 * prints it on stdout, as @pulumi/pulumi's provider `main()` does (provider/server.ts).
 *
 * That `main()` is not used because its server cannot model the real providers: its Configure never reaches the
 * provider and answers supportsPreview=false (so the engine would skip Create in previews,
 * pulumi/pulumi sdk/go/common/resource/plugin/provider_plugin.go `Create`: "if !protocol.supportsPreview ...
 * return CreateResponse{Properties: req.Properties}"), its Create and Update drop the request's `preview` flag,
 * and its Diff drops the old inputs azure-native diffs against.
 */
import * as grpc from "@grpc/grpc-js";
import * as anyproto from "google-protobuf/google/protobuf/any_pb";
import * as emptyproto from "google-protobuf/google/protobuf/empty_pb";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import * as pluginproto from "@pulumi/pulumi/proto/plugin_pb";
import * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import * as statusproto from "@pulumi/pulumi/proto/status_pb";
import { ResourceInitError } from "./errors";
import type { PropertyMap, StandInProvider } from "./types";

type Unary<Req, Res> = grpc.handleUnaryCall<Req, Res>;

function toMap(struct: structproto.Struct | undefined): PropertyMap {
    return struct?.toJavaScript() ?? {};
}

function toStruct(map: PropertyMap): structproto.Struct {
    // Struct.fromJavaScript cannot take undefined: drop those keys the way JSON does.
    return structproto.Struct.fromJavaScript(JSON.parse(JSON.stringify(map)) as Record<string, structproto.JavaScriptValue>);
}

function fail(error: unknown): grpc.ServiceError {
    const message = error instanceof Error ? error.message : String(error);
    const metadata = new grpc.Metadata();
    if (error instanceof ResourceInitError) metadata.set("grpc-status-details-bin", initFailedDetails(error));
    return Object.assign(new Error(message), { code: grpc.status.UNKNOWN, details: message, metadata });
}

/**
 * A partial failure as pulumi-terraform-bridge pkg/tfbridge/provider.go `initializationError` sends it:
 * rpcerror.WithDetails(rpcerror.New(codes.Unknown, reasons[0]), &ErrorResourceInitFailed{Id, Properties, Reasons}),
 * which gRPC carries as a google.rpc.Status in the `grpc-status-details-bin` trailer.
 */
function initFailedDetails(error: ResourceInitError): Buffer {
    const detail = new provproto.ErrorResourceInitFailed().setId(error.id).setProperties(toStruct(error.outs))
        .setReasonsList([...error.reasons]);
    const packed = new anyproto.Any();
    packed.pack(detail.serializeBinary(), "pulumirpc.ErrorResourceInitFailed");
    const status = new statusproto.Status().setCode(grpc.status.UNKNOWN).setMessage(error.reasons[0]);
    status.addDetails(packed);
    return Buffer.from(status.serializeBinary());
}

/** Runs `work` and answers the call with its result or its error's message. */
function answer<Req, Res>(work: (request: Req) => Promise<Res>): Unary<Req, Res> {
    return (call, callback) => {
        work(call.request).then((result) => callback(null, result), (error: unknown) => callback(fail(error)));
    };
}

function unimplemented(name: string): Unary<unknown, never> {
    return (_call, callback) => callback({ code: grpc.status.UNIMPLEMENTED, details: `${name} is not implemented`, name, message: name });
}

/** The gRPC service implementation for one stand-in provider. */
export function providerService(provider: StandInProvider): grpc.UntypedServiceImplementation {
    const empty = () => Promise.resolve(new emptyproto.Empty());
    return {
        // Without Handshake the engine takes the protocol flags from Configure's answer (provider_plugin.go).
        handshake: unimplemented("Handshake"),
        parameterize: unimplemented("Parameterize"),
        construct: unimplemented("Construct"),
        call: unimplemented("Call"),
        // Unimplemented config RPCs make the engine pass the config through and treat config changes as no
        // replacement (provider_plugin.go CheckConfig, DiffConfig).
        checkConfig: unimplemented("CheckConfig"),
        diffConfig: unimplemented("DiffConfig"),
        getPluginInfo: answer(() => {
            const info = new pluginproto.PluginInfo();
            info.setVersion(provider.version);
            return Promise.resolve(info);
        }),
        getSchema: answer(() => Promise.resolve(new provproto.GetSchemaResponse().setSchema("{}"))),
        getMapping: answer(() => Promise.resolve(new provproto.GetMappingResponse())),
        getMappings: answer(() => Promise.resolve(new provproto.GetMappingsResponse())),
        attach: answer(empty),
        cancel: answer(empty),
        configure: answer(async (request: provproto.ConfigureRequest) => {
            await provider.configure(configureArgs(provider.name, request), request.getAcceptsecrets());
            // As pulumi-terraform-bridge pkg/tfbridge/provider.go `Configure` and pulumi-azure-native
            // provider/pkg/provider/provider.go `Configure` answer: previews supported, secrets not accepted (the
            // engine strips them from inputs and marks the matching outputs secret itself).
            return new provproto.ConfigureResponse()
                .setSupportspreview(true)
                .setAcceptsecrets(false)
                .setAcceptresources(false)
                .setSupportsAutonamingConfiguration(true);
        }),
        check: answer(async (request: provproto.CheckRequest) => {
            const result = await provider.check(request.getUrn(), toMap(request.getOlds()), toMap(request.getNews()));
            const response = new provproto.CheckResponse().setInputs(toStruct(result.inputs));
            response.setFailuresList(result.failures.map((failure) =>
                new provproto.CheckFailure().setProperty(failure.property).setReason(failure.reason)));
            return response;
        }),
        diff: answer(async (request: provproto.DiffRequest) => {
            const result = await provider.diff({
                id: request.getId(),
                urn: request.getUrn(),
                olds: toMap(request.getOlds()),
                news: toMap(request.getNews()),
                oldInputs: toMap(request.getOldInputs()),
            });
            return new provproto.DiffResponse()
                .setChanges(result.changes
                    ? provproto.DiffResponse.DiffChanges.DIFF_SOME
                    : provproto.DiffResponse.DiffChanges.DIFF_NONE)
                .setReplacesList([...result.replaces])
                .setStablesList([...result.stables])
                .setDeletebeforereplace(result.deleteBeforeReplace)
                .setDiffsList([...result.diffs]);
        }),
        create: answer(async (request: provproto.CreateRequest) => {
            const result = await provider.create({
                urn: request.getUrn(),
                inputs: toMap(request.getProperties()),
                preview: request.getPreview(),
            });
            return new provproto.CreateResponse().setId(result.id).setProperties(toStruct(result.outs));
        }),
        read: answer(async (request: provproto.ReadRequest) => {
            const result = await provider.read({
                id: request.getId(),
                urn: request.getUrn(),
                props: toMap(request.getProperties()),
                inputs: toMap(request.getInputs()),
            });
            const response = new provproto.ReadResponse().setId(result.id);
            if ("props" in result) response.setProperties(toStruct(result.props)).setInputs(toStruct(result.inputs));
            return response;
        }),
        update: answer(async (request: provproto.UpdateRequest) => {
            const outs = await provider.update({
                id: request.getId(),
                urn: request.getUrn(),
                olds: toMap(request.getOlds()),
                news: toMap(request.getNews()),
                oldInputs: toMap(request.getOldInputs()),
                preview: request.getPreview(),
            });
            return new provproto.UpdateResponse().setProperties(toStruct(outs));
        }),
        delete: answer(async (request: provproto.DeleteRequest) => {
            await provider.delete({
                id: request.getId(),
                urn: request.getUrn(),
                props: toMap(request.getProperties()),
                oldInputs: toMap(request.getOldInputs()),
            });
            return new emptyproto.Empty();
        }),
        invoke: answer(async (request: provproto.InvokeRequest) => {
            const outputs = await provider.invoke(request.getTok(), toMap(request.getArgs()), request.getPreview());
            return new provproto.InvokeResponse().setReturn(toStruct(outputs));
        }),
    };
}

/**
 * Configure's arguments, keyed as the provider's config (`tenantId`); from the deprecated `variables`
 * (`<pkg>:config:tenantId`) when the engine sent no `args`.
 */
function configureArgs(name: string, request: provproto.ConfigureRequest): PropertyMap {
    const args = request.getArgs();
    if (args !== undefined) return toMap(args);
    const prefix = `${name}:config:`;
    const result: PropertyMap = {};
    request.getVariablesMap().forEach((value, key) => {
        result[key.startsWith(prefix) ? key.slice(prefix.length) : key] = value;
    });
    return result;
}

/** Starts the gRPC server on a free loopback port and returns the port and a way to stop it. */
export async function serve(provider: StandInProvider): Promise<{ port: number; stop: () => Promise<void> }> {
    const server = new grpc.Server({ "grpc.max_receive_message_length": 1024 * 1024 * 400 });
    server.addService(provrpc.ResourceProviderService, providerService(provider));
    const port = await new Promise<number>((resolve, reject) => {
        server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
            error === null ? resolve(bound) : reject(error));
    });
    const stop = () => new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    return { port, stop };
}

/** A plugin's entry: serve, print the port (the engine reads it from stdout), or one line on stderr and exit 1. */
export function runPlugin(makeProvider: () => StandInProvider): void {
    let provider: StandInProvider;
    try {
        provider = makeProvider();
    } catch (error) {
        process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
    }
    serve(provider).then(
        ({ port }) => process.stdout.write(`${port}\n`),
        (error: unknown) => {
            process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
            process.exit(1);
        },
    );
}
