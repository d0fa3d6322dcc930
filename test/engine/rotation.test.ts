/**
 * Secret rotation on the real engine across simulated years (issue: every promise on the real engine, "Rotation").
 * A moved clock (fakeClock.cjs in NODE_OPTIONS, for this file's CLI calls only) runs the language host model, the
 * program and the provider stand-ins at later dates, and each scenario's local Azure is moved in step; nothing in
 * infra/ changes. Each stack has a local Azure and a workspace of its own, so that the two timelines run at once.
 *
 * At each rotation date R: the day before, `pulumi preview --expect-no-changes` passes and both env files written
 * so far that should work do; on the day, `pulumi up` replaces exactly one ApplicationPassword, adding the new
 * secret before removing the old (the local Graph's log), and leaves two valid secrets; the env file written before
 * the rotation signs in until its secret's end date (the next rotation) and is refused from then on.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it, type ExpectStatic } from "vitest";
import { startLocalAzure, type LocalAzure } from "../../localazure";
import { hashSecret } from "../../localazure/secrets";
import { PROJECT_ROOT } from "../../tools/stacks/stackFiles";
import {
    addDays, appNamed, envFileFromStack, EVENT_LOG_ENV, expectOk, MovableClock, pulumiWith, renewDeployerSecret, signInWith,
    stepsInEventLog, utc, writesSince, type EnvFile, type SignInResult,
} from "./support";
import { createEngineWorkspace, type EngineWorkspace } from "./workspace";

/** Both timelines start here, a Tuesday of 2026; the deployer's credential outlives the scenario. */
const START = "2026-12-01";

interface Timeline {
    readonly stack: string;
    readonly lifetimeMonths: number;
    /** The stack file, when the workspace's copy is not the project's. */
    readonly stackFile?: string;
    /** The rotation dates after START, in order (infra/schedule.ts from the identity's derived anchor). */
    readonly rotations: readonly string[];
    /** The slot the first rotation replaces; they alternate. */
    readonly firstSlot: "a" | "b";
    /** Resources the stack holds: the summary line of an up is "+-1 replaced" and the rest unchanged. */
    readonly resources: number;
}

/** Production: 24-month secrets rotated every 12 months; anchor 2024-06-17, derived from "inventory-api-prod". */
const PROD: Timeline = {
    stack: "inventory-api-prod", lifetimeMonths: 24, firstSlot: "b", resources: 8,
    rotations: Array.from({ length: 10 }, (_, year) => `${2027 + year}-06-17`),
};

/**
 * test with secretLifetimeMonths 6: rotated every 3 months; anchor 2024-01-18, derived from "inventory-api-test".
 * Ten years of it: 40 rotations, the longest test of the suite (some 8 minutes on two cores).
 */
const SHORT: Timeline = {
    stack: "inventory-api-test", lifetimeMonths: 6, firstSlot: "a", resources: 7,
    stackFile: `${readFileSync(join(PROJECT_ROOT, "stacks/Pulumi.inventory-api-test.yaml"), "utf8")}  app-identity:secretLifetimeMonths: 6\n`,
    rotations: Array.from({ length: 40 }, (_, quarter) => addMonths("2027-01-18", 3 * quarter)),
};

/** A rotation's only writes to Azure, in the local Graph's order: the new secret first, then the old one removed. */
const PASSWORD_WRITES = [
    "POST graph.microsoft.com/v1.0/applications/{id}/addPassword 200",
    "POST graph.microsoft.com/v1.0/applications/{id}/removePassword 204",
];

function addMonths(day: string, months: number): string {
    const [year, month, date] = day.split("-").map(Number) as [number, number, number];
    return new Date(Date.UTC(year, month - 1 + months, date)).toISOString().slice(0, 10);
}

/** 200, or the AADSTS code of the refusal. */
const outcome = (result: SignInResult) => result.errorCode ?? result.status;

const otherSlot = (slot: "a" | "b") => (slot === "a" ? "b" : "a");

/** What one rotation showed, compared as a whole with what the README promises. */
interface RotationSeen {
    readonly rotation: string;
    readonly dayBefore: { preview: number; passwords: number; valid: number; current: number; previous: number | null };
    readonly onTheDay: {
        previousBeforeUp: number | null; leavingEndedAt: string; up: number; summary: string[];
        steps: string[]; writes: string[]; removedTheExpired: boolean;
    };
    readonly after: {
        passwords: number; valid: number; newest: { displayName: string; endDateTime: string }; newFile: number;
        writtenBefore: number; clientSecretExpiresAt: unknown; secretRotatesAt: unknown;
    };
}

function expectedRotation(timeline: Timeline, index: number): RotationSeen {
    const rotation = timeline.rotations[index]!;
    const slot = index % 2 === 0 ? timeline.firstSlot : otherSlot(timeline.firstSlot);
    const rotationMonths = timeline.lifetimeMonths / 2;
    const identity = timeline.stack;
    return {
        rotation,
        dayBefore: { preview: 0, passwords: 2, valid: 2, current: 200, previous: index === 0 ? null : 200 },
        onTheDay: {
            // The env file written before the previous rotation carried the secret that ends on this day (AADSTS7000222).
            previousBeforeUp: index === 0 ? null : 7000222, leavingEndedAt: `${rotation}T00:00:00Z`, up: 0,
            summary: ["+-1 replaced", `${timeline.resources - 1} unchanged`],
            steps: ["++ created replacement", "+- replaced", "-- deleted original"]
                .map((step) => step.replace(" ", ` azuread:index/applicationPassword:ApplicationPassword ${identity}-secret-${slot} `)),
            writes: PASSWORD_WRITES, removedTheExpired: true,
        },
        after: {
            passwords: 2, valid: 2,
            newest: { displayName: `slot ${slot}, rotated ${rotation}`, endDateTime: `${addMonths(rotation, timeline.lifetimeMonths)}T00:00:00Z` },
            newFile: 200, writtenBefore: 200,
            clientSecretExpiresAt: `${addMonths(rotation, timeline.lifetimeMonths)}T00:00:00Z`,
            secretRotatesAt: timeline.rotations[index + 1] ?? addMonths(rotation, rotationMonths),
        },
    };
}

/** The lines between "Resources:" and "Duration:" of the CLI's summary. */
function summaryOf(stdout: string): string[] {
    const block = stdout.slice(stdout.indexOf("Resources:") + "Resources:".length, stdout.indexOf("Duration:"));
    return block.split("\n").map((line) => line.trim()).filter((line) => line !== "");
}

interface Scenario {
    readonly azure: LocalAzure;
    readonly workspace: EngineWorkspace;
    readonly clock: MovableClock;
}

async function startScenario(timeline: Timeline): Promise<Scenario> {
    const clock = new MovableClock(utc(START));
    const azure = await startLocalAzure({ now: clock.now });
    const clientSecret = await renewDeployerSecret(azure, utc("2037-12-01"));
    const workspace = await createEngineWorkspace({ ...azure, deployer: { clientId: azure.deployer.clientId, clientSecret } });
    if (timeline.stackFile !== undefined) workspace.writeStackFile(timeline.stack, timeline.stackFile);
    expectOk(await workspace.pulumi(["stack", "init", timeline.stack]), `pulumi stack init ${timeline.stack}`);
    return { azure, workspace, clock };
}

async function runTimeline(timeline: Timeline, expect: ExpectStatic): Promise<void> {
    const { azure, workspace, clock } = await startScenario(timeline);
    try {
        const identity = timeline.stack;
        const pulumi = (args: readonly string[]) => pulumiWith(workspace, clock.env(workspace.env), args);
        const passwords = () => appNamed(azure, identity).passwords;
        const validCount = () => passwords().filter((password) => Date.parse(password.endDateTime) > clock.now().getTime()).length;
        expectOk(await pulumi(["up", "--stack", timeline.stack, "--yes", "--skip-preview"]), `first pulumi up of ${timeline.stack}`);

        /** The env file written after the last rotation (the one servers carry), and the one written before it. */
        let current: EnvFile = await envFileFromStack(workspace, clock.env(workspace.env), timeline.stack);
        let previous: EnvFile | undefined;
        const seen: RotationSeen[] = [];
        for (const rotation of timeline.rotations) {
            clock.set(addDays(utc(rotation), -1));
            const preview = await pulumi(["preview", "--stack", timeline.stack, "--expect-no-changes"]);
            expect(preview.code, `pulumi preview on the day before ${rotation}:\n${preview.stdout}${preview.stderr}`).toBe(0);
            const dayBefore = {
                preview: preview.code, passwords: passwords().length, valid: validCount(),
                current: outcome(await signInWith(azure, current)),
                previous: previous === undefined ? null : outcome(await signInWith(azure, previous)),
            };

            clock.set(utc(rotation));
            const previousBeforeUp = previous === undefined ? null : outcome(await signInWith(azure, previous));
            const leaving = passwords().filter((password) => Date.parse(password.endDateTime) <= clock.now().getTime());
            const mark = azure.log().length;
            const eventLog = join(workspace.dir, `events-${rotation}.jsonl`);
            const up = await pulumiWith(workspace, { ...clock.env(workspace.env), ...EVENT_LOG_ENV },
                ["up", "--stack", timeline.stack, "--yes", "--skip-preview", "--event-log", eventLog]);
            expect(up.code, `pulumi up on ${rotation}:\n${up.stdout}${up.stderr}`).toBe(0);
            const writes = writesSince(azure, mark);
            const remaining = passwords();
            const newest = remaining.find((password) => password.displayName?.endsWith(`rotated ${rotation}`));
            const written = await envFileFromStack(workspace, clock.env(workspace.env), timeline.stack);
            const { outputs } = written;
            seen.push({
                rotation,
                dayBefore,
                onTheDay: {
                    previousBeforeUp, leavingEndedAt: leaving.map((password) => password.endDateTime).join(","), up: up.code,
                    summary: summaryOf(up.stdout), steps: stepsInEventLog(eventLog), writes,
                    removedTheExpired: leaving.length === 1 && !remaining.some((password) => password.keyId === leaving[0]!.keyId) &&
                        (previous === undefined || leaving[0]!.secretHash === hashSecret(previous.variables["AZURE_CLIENT_SECRET"]!)),
                },
                after: {
                    passwords: remaining.length, valid: validCount(),
                    newest: { displayName: newest?.displayName ?? "none", endDateTime: newest?.endDateTime ?? "none" },
                    newFile: outcome(await signInWith(azure, written)), writtenBefore: outcome(await signInWith(azure, current)),
                    clientSecretExpiresAt: outputs["clientSecretExpiresAt"], secretRotatesAt: outputs["secretRotatesAt"],
                },
            });
            previous = current;
            current = written;
        }
        expect(seen).toEqual(timeline.rotations.map((_, index) => expectedRotation(timeline, index)));
    } finally {
        workspace.dispose();
        await azure.stop();
    }
}

describe.concurrent("secret rotation on the real engine, with a moved clock", () => {
    it(`prod: ten years, ${PROD.rotations.length} rotations of 24-month secrets, one a year`, async ({ expect }) => {
        await runTimeline(PROD, expect);
    }, 900_000);

    it(`test with secretLifetimeMonths 6: ten years, ${SHORT.rotations.length} rotations, one every 3 months`, async ({ expect }) => {
        await runTimeline(SHORT, expect);
    }, 1_800_000);
});
