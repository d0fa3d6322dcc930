import { describe, expect, it } from "vitest";
import { addMonths, daysBetween, toRfc3339, wholeMonthsBetween } from "../infra/months";
import { defaultAnchor, rotationMonthsFor, secretSchedule, type SecretSchedule } from "../infra/schedule";

const utc = (text: string) => new Date(text.length === 10 ? `${text}T00:00:00Z` : text);

describe("month arithmetic (UTC)", () => {
    it.each([
        ["2024-01-15", 1, "2024-02-15"],
        ["2024-01-28", 1, "2024-02-28"],
        ["2024-02-28", 12, "2025-02-28"],
        ["2023-12-10", 2, "2024-02-10"],
        ["2024-03-10", -3, "2023-12-10"],
        ["2024-02-29", 48, "2028-02-29"],
        ["2024-11-05T23:30:00Z", 1, "2024-12-05T23:30:00Z"],
    ])("%s plus %i months is %s", (start, months, expected) => {
        expect(addMonths(utc(start), months)).toEqual(utc(expected));
    });

    it.each([
        ["2024-01-31", 1],
        ["2024-02-29", 12],
        ["2024-03-30", -1],
    ])("%s plus %i months has no such day, and says so", (start, months) => {
        expect(() => addMonths(utc(start), months)).toThrow(RangeError);
    });

    it.each([
        ["2024-03-05", "2024-03-05", 0],
        ["2024-03-05", "2024-04-04T23:59:59Z", 0],
        ["2024-03-05", "2024-04-05", 1],
        ["2024-03-05", "2026-03-05", 24],
        ["2024-03-05", "2024-03-04", -1],
        ["2024-03-05", "2024-01-10", -2],
        ["2024-03-05", "2024-01-05", -2],
        ["2024-03-05", "2024-01-04", -3],
        ["2024-01-10T12:00:00Z", "2024-02-10T11:59:59Z", 0],
    ])("from %s to %s is %i whole months", (start, end, months) => {
        expect(wholeMonthsBetween(utc(start), utc(end))).toBe(months);
    });

    it("reads dates in UTC whatever the process's time zone", () => {
        // The offset form of an instant is the same instant: 01:00 in Paris on Jan 1st is still Dec 31st in UTC.
        expect(wholeMonthsBetween(utc("2024-12-01"), new Date("2025-01-01T00:30:00+01:00"))).toBe(0);
        expect(toRfc3339(new Date("2025-01-01T00:30:00+01:00"))).toBe("2024-12-31T23:30:00Z");
    });

    it.each([
        ["2024-02-28", "2024-03-01", 2],
        ["2023-02-28", "2023-03-01", 1],
        ["2024-03-01", "2024-02-28", -2],
        ["2024-01-01", "2024-01-01T23:59:59Z", 0],
    ])("from %s to %s is %i days", (start, end, days) => {
        expect(daysBetween(utc(start), utc(end))).toBe(days);
    });
});

describe("secret schedule", () => {
    it.each([[2, 1], [3, 1], [6, 3], [7, 3], [12, 6], [24, 12]])(
        "a lifetime of %i months rotates every %i months", (lifetime, rotation) => {
            expect(rotationMonthsFor(lifetime)).toBe(rotation);
        });

    it("rejects a lifetime that cannot hold two staggered secrets", () => {
        expect(() => rotationMonthsFor(1)).toThrow("a secret lifetime of 1 months cannot hold two staggered secrets");
    });

    it("places the newest and previous secrets around the instant", () => {
        const schedule = secretSchedule(utc("2024-03-10"), 24, utc("2026-11-21"));
        expect(schedule).toEqual({
            lifetimeMonths: 24,
            rotationMonths: 12,
            anchor: utc("2024-03-10"),
            current: { slot: "a", rotatedAt: utc("2026-03-10"), endDate: utc("2028-03-10") },
            previous: { slot: "b", rotatedAt: utc("2025-03-10"), endDate: utc("2027-03-10") },
            nextRotation: utc("2027-03-10"),
        });
    });

    it("works before the anchor too", () => {
        const schedule = secretSchedule(utc("2030-01-01"), 24, utc("2026-11-21"));
        expect(schedule.current).toEqual({ slot: "a", rotatedAt: utc("2026-01-01"), endDate: utc("2028-01-01") });
        expect(schedule.previous).toEqual({ slot: "b", rotatedAt: utc("2025-01-01"), endDate: utc("2027-01-01") });
    });

    it("derives anchors from the identity's name: stable, on days 1-28, and spread", () => {
        expect(defaultAnchor("inventory-api-dev", 12)).toEqual(defaultAnchor("inventory-api-dev", 12));
        const anchors = Array.from({ length: 200 }, (_, i) => defaultAnchor(`app-${i}-prod`, 12));
        expect(anchors.every((anchor) => anchor.getUTCDate() >= 1 && anchor.getUTCDate() <= 28)).toBe(true);
        expect(new Set(anchors.map((anchor) => anchor.getUTCDate())).size).toBe(28);
        expect(new Set(anchors.map((anchor) => anchor.getUTCMonth())).size).toBe(12);
        const distinctDays = new Set(anchors.map((anchor) => anchor.toISOString().slice(0, 10)));
        expect(distinctDays.size).toBeGreaterThan(150);
    });
});

/** Monthly deployments over ten years: what the secrets look like at each, and what changes between two. */
describe.each([24, 6])("ten years of monthly deployments with a %i-month lifetime", (lifetime) => {
    const anchor = utc("2024-05-17");
    const deployments = Array.from({ length: 121 }, (_, month) => addMonths(utc("2026-01-03T09:00:00Z"), month));
    const schedules = deployments.map((at) => secretSchedule(anchor, lifetime, at));
    const secretsOf = (schedule: SecretSchedule) => [schedule.current, schedule.previous];
    const inputsBySlot = (schedule: SecretSchedule) =>
        Object.fromEntries(secretsOf(schedule).map((secret) => [secret.slot, toRfc3339(secret.endDate)]));

    it("always holds two valid secrets, in both slots, none living past its lifetime", () => {
        schedules.forEach((schedule, i) => {
            const at = deployments[i]!;
            expect(secretsOf(schedule).map((secret) => secret.slot).sort()).toEqual(["a", "b"]);
            for (const secret of secretsOf(schedule)) {
                expect(secret.rotatedAt.getTime()).toBeLessThanOrEqual(at.getTime());
                expect(secret.endDate.getTime()).toBeGreaterThan(at.getTime());
                expect(secret.endDate).toEqual(addMonths(secret.rotatedAt, lifetime));
            }
        });
    });

    it("keeps at least half a lifetime on the newest secret", () => {
        schedules.forEach((schedule, i) => {
            const halfLifetimeLater = addMonths(deployments[i]!, lifetime / 2);
            expect(schedule.current.endDate.getTime()).toBeGreaterThanOrEqual(halfLifetimeLater.getTime());
        });
    });

    it("replaces exactly one secret when a rotation is crossed, and none otherwise", () => {
        let rotations = 0;
        for (let i = 1; i < schedules.length; i++) {
            const before = inputsBySlot(schedules[i - 1]!);
            const after = inputsBySlot(schedules[i]!);
            const changed = (["a", "b"] as const).filter((slot) => before[slot] !== after[slot]);
            const crossed = schedules[i]!.current.rotatedAt.getTime() !== schedules[i - 1]!.current.rotatedAt.getTime();
            expect(changed).toHaveLength(crossed ? 1 : 0);
            if (crossed) {
                rotations++;
                // The slot that changes is the one that held the older secret; the newest one stays.
                expect(changed[0]).toBe(schedules[i - 1]!.previous.slot);
                expect(after[schedules[i - 1]!.current.slot]).toBe(before[schedules[i - 1]!.current.slot]);
            }
        }
        expect(rotations).toBe(Math.floor(120 / (lifetime / 2)));
    });

    it("gives identical inputs on any two days inside one window", () => {
        const schedule = secretSchedule(anchor, lifetime, utc("2027-06-01"));
        const start = schedule.current.rotatedAt;
        const lastMoment = new Date(schedule.nextRotation.getTime() - 1);
        for (const at of [start, utc("2027-06-01"), lastMoment]) {
            expect(inputsBySlot(secretSchedule(anchor, lifetime, at))).toEqual(inputsBySlot(schedule));
        }
        expect(inputsBySlot(secretSchedule(anchor, lifetime, schedule.nextRotation))).not.toEqual(inputsBySlot(schedule));
    });
});
