/**
 * Evaluates the real Pulumi program for one stack under the Pulumi SDK's own runtime, with the fake Azure in
 * place of the engine and the providers. What it records is what `pulumi preview` would send to the providers:
 * each resource's type, logical name, inputs and options, and the stack outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { setClock } from "../../infra/clock";
import { ConfigError } from "../../infra/config";
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
    /** Logical names of resources replaced since they were created (see FakeAzureOptions.replaced). */
    readonly replaced?: readonly string[];
}

/** A mock monitor that also keeps what `MockResourceArgs` leaves out: the markers, `protect` and the parent. */
class RecordingMonitor extends MockMonitor {
    readonly registered: RegisteredResource[] = [];

    override async registerResource(req: any, callback: (err: any, response: any) => void): Promise<void> {
        this.registered.push({
            urn: urnOf(pulumi.getStack(), pulumi.getProject(), req.getParent(), req.getType(), req.getName()),
            type: req.getType(),
            name: req.getName(),
            inputs: pulumi.runtime.deserializeProperties(req.getObject(), true),
            custom: req.getCustom(),
            protect: req.getProtect() === true,
            deleteBeforeReplace: req.getDeletebeforereplace() === true,
            parent: req.getParent(),
            dependencies: req.getDependenciesList(),
        });
        return super.registerResource(req, callback);
    }
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
    const fake = new FakeAzure({
        stack: options.stack,
        tenantId: options.deployerTenantId ?? tenantFromConfig,
        ...(options.replaced === undefined ? {} : { replaced: options.replaced }),
    });
    const monitor = new RecordingMonitor(fake);
    // setMocks turns on the features mocks support; the recording monitor then takes the default one's place.
    await pulumi.runtime.setMocks(fake, options.project, options.stack, false);
    pulumi.runtime.setMockOptions(monitor, options.project, options.stack, false);
    pulumi.runtime.setAllConfig(options.config, [...(options.secretKeys ?? [])]);
    const at = options.at;
    const previousClock = at === undefined ? undefined : setClock(() => new Date(at.getTime()));

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
