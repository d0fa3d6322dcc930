/** A stand-in provider made of one handler per resource type and function token. */
import { NotModelledError } from "./errors";
import type {
    CheckResult, CreateRequest, CreateResult, DeleteRequest, DiffRequest, DiffResult, InvokeHandler, PropertyMap,
    ReadRequest, ReadResult, ResourceHandler, StandInProvider, UpdateRequest,
} from "./types";

/** The resource type of a URN (`urn:pulumi:stack::project::parent$type::name`). */
export function urnType(urn: string): string {
    const qualified = urn.split("::")[2] ?? "";
    return qualified.split("$").pop() ?? "";
}

/** The resource's name, the URN's last part. */
export function urnName(urn: string): string {
    return urn.split("::").slice(3).join("::");
}

export abstract class DispatchingProvider implements StandInProvider {
    protected abstract readonly resources: Readonly<Record<string, ResourceHandler>>;
    protected abstract readonly functions: Readonly<Record<string, InvokeHandler>>;

    constructor(readonly name: string, readonly version: string) {}

    abstract configure(args: PropertyMap, acceptSecrets: boolean): Promise<void>;

    async check(urn: string, olds: PropertyMap, news: PropertyMap): Promise<CheckResult> {
        return this.handler(urn).check(urn, olds, news);
    }

    async diff(request: DiffRequest): Promise<DiffResult> {
        return this.handler(request.urn).diff(request);
    }

    async create(request: CreateRequest): Promise<CreateResult> {
        return this.handler(request.urn).create(request);
    }

    async read(request: ReadRequest): Promise<ReadResult> {
        return this.handler(request.urn).read(request);
    }

    async update(request: UpdateRequest): Promise<PropertyMap> {
        return this.handler(request.urn).update(request);
    }

    async delete(request: DeleteRequest): Promise<void> {
        return this.handler(request.urn).delete(request);
    }

    async invoke(token: string, args: PropertyMap, preview: boolean): Promise<PropertyMap> {
        const handler = this.functions[token];
        if (handler === undefined) throw new NotModelledError(this.name, `the function ${token}`);
        return handler(args, preview);
    }

    private handler(urn: string): ResourceHandler {
        const type = urnType(urn);
        const handler = this.resources[type];
        if (handler === undefined) throw new NotModelledError(this.name, `the resource type ${type}`);
        return handler;
    }
}
