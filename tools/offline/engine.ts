/**
 * Evaluates the real Pulumi program for one stack under the Pulumi SDK's own runtime, with the fake Azure in
 * place of the engine and the providers. What it records is what `pulumi preview` would send to the providers:
 * each resource's type, logical name, inputs and options, and the stack outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { setClock } from "../../infra/clock";
import { ConfigError, setKeysAsWritten } from "../../infra/config";
import { FakeAzure } from "./fakeAzure";

export interface RegisteredResource {
    /** The URN the Pulumi engine gives the resource in this stack: what `--target-replace` takes. */
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    /** Inputs as the provider would receive them; secrets and unknowns keep their markers (see `renderValue`). */
    readonly inputs: Record<string, unknown>;
    readonly custom: boolean;
    readonly protect: boolean;
    /** False means Pulumi creates the replacement before it deletes the old resource. */
    readonly deleteBeforeReplace: boolean;
    readonly parent: string;
    /** URNs of the resources this one depends on (through its inputs or dependsOn). */
    readonly dependencies: readonly string[];
    /** The former URNs its aliases stand for, as the engine computes them: where the state may hold it now. */
    readonly aliases: readonly string[];
}

export interface StackOutput {
    readonly value: unknown;
    readonly secret: boolean;
}

export interface StackEvaluation {
    readonly stack: string;
    readonly ok: boolean;
    readonly errors: readonly string[];
    readonly resources: readonly RegisteredResource[];
    readonly outputs: Readonly<Record<string, StackOutput>>;
    readonly fake: FakeAzure;
}

/** A Pulumi program as the language host calls it: a function whose result becomes the stack outputs. */
export type Program = () => Promise<object>;

export interface EvaluateOptions {
    /** The program to run: the project's (infra/index.ts), or another for measurements. */
    readonly program: Program;
    readonly project: string;
    readonly stack: string;
    /** Flat config as Pulumi passes it: `"<namespace>:<key>"` → value as text. */
    readonly config: Record<string, string>;
    readonly secretKeys?: readonly string[];
    /** The instant the program's clock reads; the real clock when unset. */
    readonly at?: Date;
    /** The tenant the fake deployer signs in to; the stack's own tenantId when unset. */
    readonly deployerTenantId?: string;
    /**
     * The fake deployer's object ID: the stack's deployerObjectId when unset and the stack sets one (the identity
     * the stack says deploys it), otherwise one derived from the stack.
     */
    readonly deployerObjectId?: string;
    /** Run as `pulumi preview` does (`pulumi.runtime.isDryRun()` true); as `pulumi up` does when unset. */
    readonly preview?: boolean;
    /** `"<namespace>:<key>"` → the key as the stack file writes it, for the program's messages (tools/stacks/stackFiles.ts). */
    readonly keysAsWritten?: Readonly<Record<string, string>>;
    /** Logical names of resources replaced since they were created (see FakeAzureOptions.replaced). */
    readonly replaced?: readonly string[];
}

/** A mock monitor that also keeps what `MockResourceArgs` leaves out: the markers, `protect` and the parent. */
class RecordingMonitor extends MockMonitor {
    readonly registered: RegisteredResource[] = [];

    override async registerResource(req: any, callback: (err: any, response: any) => void): Promise<void> {
        const [stack, project] = [pulumi.getStack(), pulumi.getProject()];
        this.registered.push({
            urn: urnOf(stack, project, req.getParent(), req.getType(), req.getName()),
            type: req.getType(),
            name: req.getName(),
            inputs: pulumi.runtime.deserializeProperties(req.getObject(), true),
            custom: req.getCustom(),
            protect: req.getProtect() === true,
            deleteBeforeReplace: req.getDeletebeforereplace() === true,
            parent: req.getParent(),
            dependencies: req.getDependenciesList(),
            aliases: (req.getAliasesList() as AliasMessage[]).map((alias) => aliasUrn(alias, stack, project, req)),
        });
        return super.registerResource(req, callback);
    }
}

/** The parts of pulumi/pulumi proto/pulumi/alias.proto's Alias that the SDK sends (sdk/nodejs/runtime/resource.ts). */
interface AliasMessage {
    getUrn(): string;
    getSpec(): {
        getName(): string; getType(): string; getStack(): string; getProject(): string;
        getParenturn(): string; getNoparent(): boolean;
    } | undefined;
}

/**
 * The old URN an alias names, as the engine collapses it (pulumi/pulumi pkg/resource/deploy/step_generator.go
 * collapseAliasToUrn): each part left empty is the resource's own, the parent included unless noParent.
 */
function aliasUrn(alias: AliasMessage, stack: string, project: string,
    req: { getParent(): string; getType(): string; getName(): string }): string {
    const spec = alias.getSpec();
    if (alias.getUrn() !== "" || spec === undefined) return alias.getUrn();
    const parent = spec.getNoparent() ? "" : spec.getParenturn() || req.getParent();
    return urnOf(spec.getStack() || stack, spec.getProject() || project, parent, spec.getType() || req.getType(),
        spec.getName() || req.getName());
}

/**
 * A child's URN qualifies its type with its parent's (`Parent$Child`); resources at the top of the stack have
 * their bare type, as the engine gives them under the root stack resource.
 */
export function urnOf(stack: string, project: string, parentUrn: string, type: string, name: string): string {
    const qualifiedType = parentUrn === "" ? type : `${parentUrn.split("::")[2]}$${type}`;
    return `urn:pulumi:${stack}::${project}::${qualifiedType}::${name}`;
}

export async function evaluateStack(options: EvaluateOptions): Promise<StackEvaluation> {
    const tenantFromConfig = options.config[`${options.project}:tenantId`] ?? "";
    const deployerObjectId = options.deployerObjectId ?? options.config[`${options.project}:deployerObjectId`];
    const fake = new FakeAzure({
        stack: options.stack,
        tenantId: options.deployerTenantId ?? tenantFromConfig,
        subscriptionId: options.config[`${options.project}:subscriptionId`] ?? "",
        ...(deployerObjectId === undefined ? {} : { deployerObjectId }),
        ...(options.replaced === undefined ? {} : { replaced: options.replaced }),
    });
    const monitor = new RecordingMonitor(fake);
    const preview = options.preview === true;
    await pulumi.runtime.setMocks(fake, options.project, options.stack, preview);
    pulumi.runtime.setMockOptions(monitor, options.project, options.stack, preview);
    // setMockOptions resets the features the SDK may use to none; a real run asks its monitor for them before the
    // program starts (@pulumi/pulumi runtime/settings.js setRootResource → awaitFeatureSupport, marked @internal).
    // The recording monitor answers as the mock one does (all but outputValues): alias specs among them, as the
    // engine of CLI v3.276.0 supports (pkg/resource/deploy/source_eval.go SupportsFeature).
    await (pulumi.runtime as unknown as { awaitFeatureSupport(): Promise<void> }).awaitFeatureSupport();
    pulumi.runtime.setAllConfig(options.config, [...(options.secretKeys ?? [])]);
    const at = options.at;
    const previousClock = at === undefined ? undefined : setClock(() => new Date(at.getTime()));
    const previousKeys = setKeysAsWritten(options.keysAsWritten);

    const errors: string[] = [];
    const outputs: Record<string, StackOutput> = {};
    // The SDK formats a stack trace for every promise it makes (for its leak report) and every resource (for
    // source positions the engine shows): with no engine to show them, that is most of a plan's time and memory.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
        const exported: Record<string, unknown> = { ...(await options.program()) };
        for (const [key, value] of Object.entries(exported)) {
            outputs[key] = await resolveOutput(value);
        }
    } catch (error) {
        errors.push(...(error instanceof ConfigError ? error.problems : [messageOf(error)]));
    } finally {
        // Wait until every registration has reached the monitor, so a later stack starts from a quiet runtime.
        await pulumi.runtime.disconnect().catch((error: unknown) => errors.push(messageOf(error)));
        if (previousClock !== undefined) setClock(previousClock);
        setKeysAsWritten(previousKeys);
        Error.stackTraceLimit = stackTraceLimit;
    }
    return { stack: options.stack, ok: errors.length === 0, errors, resources: monitor.registered, outputs, fake };
}

async function resolveOutput(value: unknown): Promise<StackOutput> {
    const output: pulumi.Output<unknown> = pulumi.output(value);
    const resolved = await new Promise<unknown>((resolve) => output.apply((known) => resolve(known)));
    return { value: resolved, secret: await pulumi.isSecret(output) };
}

function messageOf(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}
