/**
 * The provider interface the stand-ins implement: the resource-provider RPCs the Pulumi engine calls, with what
 * @pulumi/pulumi's own provider API (provider/provider.ts) leaves out and the engine sends: `preview` on Create and
 * Update, the old inputs on Diff, Update and Delete, and Configure's arguments (pulumi/pulumi
 * proto/pulumi/provider.proto at v3.276.0, read as sdk/v3 generates it in proto/go/provider.pb.go: CreateRequest and
 * UpdateRequest `preview`, DiffRequest, UpdateRequest and DeleteRequest `oldInputs`, ConfigureRequest `args`).
 */

/** Property values as the engine's Struct carries them: JSON, with the unknown and secret sentinels inside. */
export type PropertyMap = Record<string, unknown>;

export interface CheckFailure {
    readonly property: string;
    readonly reason: string;
}

export interface CheckResult {
    readonly inputs: PropertyMap;
    readonly failures: readonly CheckFailure[];
}

export interface DiffResult {
    readonly changes: boolean;
    readonly replaces: readonly string[];
    readonly stables: readonly string[];
    readonly deleteBeforeReplace: boolean;
    /** The top-level properties that changed, sorted. */
    readonly diffs: readonly string[];
}

export interface CreateResult {
    /** Empty in a preview: the resource does not exist. */
    readonly id: string;
    readonly outs: PropertyMap;
}

/** What Read answers: the resource as it is, or `{ id: "" }` when it is gone (the engine then drops it). */
export type ReadResult =
    | { readonly id: string; readonly props: PropertyMap; readonly inputs: PropertyMap }
    | { readonly id: "" };

export interface CreateRequest {
    readonly urn: string;
    readonly inputs: PropertyMap;
    readonly preview: boolean;
}

export interface DiffRequest {
    readonly id: string;
    readonly urn: string;
    /** The old state (outputs). */
    readonly olds: PropertyMap;
    readonly news: PropertyMap;
    readonly oldInputs: PropertyMap;
}

export interface ReadRequest {
    readonly id: string;
    readonly urn: string;
    readonly props: PropertyMap;
    readonly inputs: PropertyMap;
}

export interface UpdateRequest extends DiffRequest {
    readonly preview: boolean;
}

export interface DeleteRequest {
    readonly id: string;
    readonly urn: string;
    readonly props: PropertyMap;
    readonly oldInputs: PropertyMap;
}

/** One resource type of a stand-in provider. */
export interface ResourceHandler {
    check(urn: string, olds: PropertyMap, news: PropertyMap): Promise<CheckResult>;
    diff(request: DiffRequest): Promise<DiffResult>;
    create(request: CreateRequest): Promise<CreateResult>;
    read(request: ReadRequest): Promise<ReadResult>;
    update(request: UpdateRequest): Promise<PropertyMap>;
    delete(request: DeleteRequest): Promise<void>;
}

/** One function (invoke) of a stand-in provider. */
export type InvokeHandler = (args: PropertyMap, preview: boolean) => Promise<PropertyMap>;

/** A stand-in provider: every resource call of one, dispatched by type, plus configure and invoke. */
export interface StandInProvider extends ResourceHandler {
    readonly name: string;
    readonly version: string;
    /** Configure's arguments (`args`, the provider's config keys without the package prefix). */
    configure(args: PropertyMap, acceptSecrets: boolean): Promise<void>;
    invoke(token: string, args: PropertyMap, preview: boolean): Promise<PropertyMap>;
}
