// The guardrail policy pack. Users run it compiled (`npm run policy-pack`, tools/policyPack/build.ts):
// `pulumi preview --policy-pack .tools/policy-pack --policy-pack-config policy/config.json`.
import { PolicyPack } from "@pulumi/policy";
import { POLICIES } from "./policies";

new PolicyPack("app-identity-guardrails", {
    enforcementLevel: "mandatory",
    policies: [...POLICIES],
});
